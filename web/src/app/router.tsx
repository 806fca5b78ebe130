import { lazy } from 'react';
import { Route, Routes } from 'react-router-dom';
import { AppLayout } from './layouts/app-layout';
import { LandingPage } from './routes/landing';
import { NotFoundPage } from './routes/not-found';

// Feature pages load on demand so the landing page stays small.
const StatusPage = lazy(() => import('@/features/status/components/status-page').then((m) => ({ default: m.StatusPage })));
const ApiReferencePage = lazy(() =>
  import('@/features/api-docs/components/api-reference-page').then((m) => ({ default: m.ApiReferencePage })),
);
const ProblemReferencePage = lazy(() =>
  import('@/features/api-docs/components/problem-reference-page').then((m) => ({ default: m.ProblemReferencePage })),
);

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<LandingPage />} />
        <Route path="status" element={<StatusPage />} />
        <Route path="docs/api" element={<ApiReferencePage />} />
        <Route path="docs/problems" element={<ProblemReferencePage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
