// Edge-style SSR build: every dependency bundled into one file (ssr.noExternal), as serverless
// and edge deploys do. pilot-connect-server still finds its wasm (the installed copy).
export default { ssr: { noExternal: true }, build: { target: "node18" } };
