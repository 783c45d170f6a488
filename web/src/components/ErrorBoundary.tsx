import { Component, type ErrorInfo, type ReactNode } from "react";
import { RotateCw } from "lucide-react";
import { Button } from "@/components/ui/button";

// Whatever fails while rendering a part of the page shows here, in its place, with the way out:
// the rest of the dashboard stays (a React error with no boundary empties the whole page).
export class ErrorBoundary extends Component<{ children: ReactNode; what: string }, { error: Error | null }> {
  state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`chronicle: ${this.props.what} failed`, error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    const missing = /dynamically imported module|Importing a module script failed|error loading dynamically/i.test(
      this.state.error.message,
    );
    return (
      <div role="alert" data-testid="error-boundary" className="my-4 rounded-xl border border-danger/40 bg-danger-bg px-5 py-4 text-sm">
        <p className="font-medium text-danger">
          {missing
            ? `The ${this.props.what} could not be loaded: the server was probably updated since this page was opened.`
            : `The ${this.props.what} failed: ${this.state.error.message}`}
        </p>
        <div className="mt-3 flex flex-wrap gap-2">
          <Button size="sm" onClick={() => window.location.reload()} data-testid="reload">
            <RotateCw /> Reload the page
          </Button>
          {!missing && (
            <Button size="sm" variant="ghost" onClick={() => this.setState({ error: null })}>
              Try again
            </Button>
          )}
        </div>
      </div>
    );
  }
}
