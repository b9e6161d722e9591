/**
 * The Transform panel in the shell, with a short simulated stack to transform: choose ops per
 * channel, Apply, and pick the "Transformed volume" layer in 3D. Resampled results need the
 * page cross-origin isolated (SharedArrayBuffer); rigid transforms show without it.
 */
import type { Meta, StoryObj } from '@storybook/react-vite';
import { SHORT_STACK, StoryShell } from './support.tsx';

const meta: Meta<typeof StoryShell> = { title: 'Panels/Transforms', component: StoryShell };
export default meta;

/** The panel alone in the shell (nothing shown yet). */
export const Transforms: StoryObj<typeof StoryShell> = { args: { panels: ['flamingo.transforms'], layers: ['flamingo.live-volume', 'flamingo.transformed-volume'] } };

/** With a short two-channel stack acquired at once and the session panel to save the transforms. */
export const WithStack: StoryObj<typeof StoryShell> = {
  args: { panels: ['flamingo.transforms', 'flamingo.session'], layers: ['flamingo.transformed-volume', 'flamingo.live-volume'], acquire: SHORT_STACK },
};
