import type { Metadata } from "next";

// create-next-app's layout without next/font/google (it downloads the fonts at build time).
export const metadata: Metadata = {
  title: "pilot-connect Next.js check",
  description: "pilot-connect-server in Next.js route handlers",
};

export default function RootLayout({ children }: LayoutProps<"/">) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
