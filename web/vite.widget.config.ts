// The shopper's chat widget as one classic script, assets/widget.js, with its CSS inlined, so
// that any page embeds it with a single <script src=".../assets/widget.js"> tag. The full chat
// page at / (index.html) loads the same script.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const outDir = process.env.KEFU_WEB_OUT ?? resolve(import.meta.dirname, "dist");

export default defineConfig({
  build: {
    outDir,
    emptyOutDir: false,
    target: "es2020",
    sourcemap: false,
    cssCodeSplit: false,
    lib: {
      entry: resolve(import.meta.dirname, "src/widget/main.ts"),
      name: "KefuWidget",
      formats: ["iife"],
      fileName: () => "assets/widget.js",
    },
  },
});
