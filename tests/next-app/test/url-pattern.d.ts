// With skipLibCheck false, Next 16.4's own next/dist/server/web/spec-extension/url-pattern.d.ts
// must compile, and it names URLPattern types that neither TypeScript 5.9's libs nor
// @types/node 20 (create-next-app's) declare. These stand-ins let the rest of the check run.
type URLPatternInput = string | Record<string, string>;
interface URLPatternOptions {
  ignoreCase?: boolean;
}
interface URLPattern {
  test(input?: URLPatternInput, baseURL?: string): boolean;
}
