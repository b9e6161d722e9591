/**
 * flamingo-viv's React panels and the props a host gives them (re-exports only).
 *
 * @example
 * import { AcquisitionPanel, SessionPanel } from 'flamingo-viv';
 * <AcquisitionPanel backend={backend} viewer={viewer} />
 */
export { AcquisitionPanel } from './acquisition-panel.tsx';
export { SessionPanel } from './session-panel.tsx';
export type { PanelProps, ViewerChannel, ViewerContent, ViewerController, ViewerSnapshot } from './types.ts';
export { checkPlanForm, defaultPlanForm, estimatePlan } from './plan-form.ts';
export type { PlanCheck, PlanEstimate, PlanFormState } from './plan-form.ts';
export { zipStore } from './zip-export.ts';
export { neuroglancerLink, vizarrLink } from './viewer-links.ts';
export { TransformPanel, cacheStatsText } from './transform-panel.tsx';
export type { TransformPanelProps } from './transform-panel.tsx';
export { BenchmarkPanel } from './benchmark-panel.tsx';
export type { BenchmarkPanelProps } from './benchmark-panel.tsx';
export { TransformHub, transformHubFor } from './transform-state.ts';
