/** Story defaults: a dark page like the app's, and the app's stylesheet. */
import type { Preview } from '@storybook/react-vite';
import '../app/app.css';

const preview: Preview = {
  parameters: { layout: 'fullscreen' },
};

export default preview;
