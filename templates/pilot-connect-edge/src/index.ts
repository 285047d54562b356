// The whole Worker: the edge, prebuilt (no Rust needed).
export { default, NumberSession } from "pilot-connect-edge";
