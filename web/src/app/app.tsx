import { useRestoreSession } from '@/features/auth/hooks/use-restore-session';
import { AppProviders } from './providers';
import { AppRoutes } from './router';

function Routes() {
  useRestoreSession();
  return <AppRoutes />;
}

export function App() {
  return (
    <AppProviders>
      <Routes />
    </AppProviders>
  );
}
