/** The acquisition panel against the browser-only simulator, in the shell. */
import type { Meta, StoryObj } from '@storybook/react-vite';
import { StoryShell } from './support.tsx';

const meta: Meta<typeof StoryShell> = { title: 'Panels/Acquisition', component: StoryShell };
export default meta;

/** Connect, move the stage, plan and run an acquisition; the counters update as frames arrive. */
export const Acquisition: StoryObj<typeof StoryShell> = { args: { panels: ['flamingo.acquisition'] } };
