/** The session panel against the browser-only simulator (sessions in OPFS), in the shell. */
import type { Meta, StoryObj } from '@storybook/react-vite';
import { SHORT_STACK, StoryShell } from './support.tsx';

const meta: Meta<typeof StoryShell> = { title: 'Panels/Session', component: StoryShell };
export default meta;

/** Save, list and open sessions, load test data, export a zip. */
export const Session: StoryObj<typeof StoryShell> = { args: { panels: ['flamingo.session'] } };

/** Both panels, with a short stack acquired at once so there is a session to save and export. */
export const WithAcquisition: StoryObj<typeof StoryShell> = { args: { acquire: SHORT_STACK } };
