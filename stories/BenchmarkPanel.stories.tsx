/**
 * The Benchmark panel on its own: the reference suite runs in a worker (the page stays usable),
 * the table and chart fill, CSV/JSON download, and a previous run loads as the baseline.
 */
import type { Meta, StoryObj } from '@storybook/react-vite';
import { BenchmarkPanel } from '../src/panels/benchmark-panel.tsx';

const meta: Meta<typeof BenchmarkPanel> = { title: 'Panels/Benchmark', component: BenchmarkPanel };
export default meta;

/** The reference sizes (100³, 200³, 300³). */
export const Benchmark: StoryObj<typeof BenchmarkPanel> = { args: {} };

/** Small volumes, for a run that takes moments. */
export const Quick: StoryObj<typeof BenchmarkPanel> = { args: { sizes: [16, 32, 64] } };
