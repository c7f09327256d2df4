// Vite's `?inline` CSS import: the stylesheet's text, which the widget puts in its shadow root.
declare module "*.css?inline" {
  const css: string;
  export default css;
}
