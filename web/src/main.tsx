import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import App from "./App";
import { ErrorBoundary } from "@/components/ErrorBoundary";
import "./index.css";

// The parts of the page fail in their own places; this catches what is left, so that the page
// is never empty.
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ErrorBoundary what="dashboard">
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
