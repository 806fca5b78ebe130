import { availableParallelism } from 'node:os';
import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The C++ server; override when it listens elsewhere.
const apiTarget = process.env.TOLLGATE_DEV_API || 'http://localhost:3001';
const proxied = ['/api', '/healthz', '/readyz', '/metrics', '/v1', '/gw'];

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: apiTarget, changeOrigin: true }])),
  },
  build: {
    outDir: 'dist',
    // Maps are written but not referenced, so reported stacks can be decoded offline.
    sourcemap: 'hidden',
  },
  test: {
    environment: 'jsdom',
    globals: false,
    setupFiles: ['./src/testing/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // Vitest's default (CPUs - 1) is one worker on a 2-core machine; the per-file jsdom set-up then dominates.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
  },
});
