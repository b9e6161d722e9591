/** Each contributed live layer alone, fed by a short simulated stack in this browser. */
import type { Meta, StoryObj } from '@storybook/react-vite';
import { SHORT_STACK, StoryShell } from './support.tsx';

const meta: Meta<typeof StoryShell> = { title: 'Layers/Live', component: StoryShell };
export default meta;

type Story = StoryObj<typeof StoryShell>;

/** The newest plane of each channel as it arrives (2D). */
export const LivePlane: Story = { args: { layers: ['flamingo.live-plane'], acquire: SHORT_STACK } };

/** The maximum-intensity projection of the display volume (2D). */
export const MaximumProjection: Story = { args: { layers: ['flamingo.live-mip'], acquire: SHORT_STACK } };

/** The display volume in 3D: choose the 3D tab. */
export const LiveVolume: Story = { args: { layers: ['flamingo.live-volume'], acquire: SHORT_STACK } };
