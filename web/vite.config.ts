import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import path from "node:path";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { "@": path.resolve(__dirname, "src") } },
  server: { proxy: { "/api": "http://127.0.0.1:8080", "/healthz": "http://127.0.0.1:8080" } },
  // hls.js (580 kB) is a chunk of its own, fetched only when a recording in progress is played:
  // the page itself never loads it, so its size is no warning.
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 600 },
  // The component tests run beside the whole suite (live encodes, sanitizer builds): on 2 busy
  // cores a test that takes 0.1 s alone has been seen past vitest's 5 s default.
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    testTimeout: 30_000,
  },
});
