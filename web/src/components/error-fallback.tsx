export function ErrorFallback({ reset }: { reset: () => void }) {
  return (
    <div className="crash" role="alert">
      <h1 className="crash__title">Something went wrong</h1>
      <p className="crash__text">
        This page hit an unexpected error. It has been reported; you can try again or go back to the start.
      </p>
      <div className="crash__actions">
        <button type="button" className="btn btn--primary" onClick={reset}>
          Try again
        </button>
        <a className="btn btn--secondary" href="/">
          Go to home page
        </a>
      </div>
    </div>
  );
}
