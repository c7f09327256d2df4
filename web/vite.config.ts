// The agent console (/agent) and the operator dashboard (/admin) as a multi-page build. The
// shopper's widget is built apart (vite.widget.config.ts) as one self-contained script.
// Output goes to KEFU_WEB_OUT (the build directory, set by CMake) or dist/; file names carry no
// hashes because kefu serve embeds the output and serves it under fixed paths.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const outDir = process.env.KEFU_WEB_OUT ?? resolve(import.meta.dirname, "dist");

// `npm run dev` serves the pages with the API proxied to a running kefu serve (KEFU_URL).
const kefu = process.env.KEFU_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/",
  server: { proxy: { "/v1": { target: kefu, ws: true } } },
  build: {
    outDir,
    emptyOutDir: false,
    target: "es2020",
    sourcemap: false,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        agent: resolve(import.meta.dirname, "agent/index.html"),
        admin: resolve(import.meta.dirname, "admin/index.html"),
      },
      output: {
        entryFileNames: "assets/[name].js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/[name][extname]",
      },
    },
  },
});
