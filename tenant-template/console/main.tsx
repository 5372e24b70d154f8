/** The console's entry point: the page (/ui) has an empty `#console` for it. */
import { render } from "preact";
import { ConsoleApp } from "./console-app.tsx";

const root = document.getElementById("console");
if (root !== null) render(<ConsoleApp />, root);
