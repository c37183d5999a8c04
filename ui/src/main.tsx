import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { startupOf } from "./startup/startup";
import { StartupNotice } from "./startup/StartupNotice";
import "./styles.css";

const root = document.getElementById("root");
const startup = startupOf(window.location.search);
if (root) {
  createRoot(root).render(
    <StrictMode>{startup.kind === "app" ? <App /> : <StartupNotice startup={startup} />}</StrictMode>,
  );
}
