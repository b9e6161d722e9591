/**
 * Links that open a served session (an OME-Zarr URL) in other viewers: Vizarr (`?source=`) and
 * Neuroglancer (a `zarr://` image layer in the URL's JSON state).
 *
 * @example
 * vizarrLink('http://127.0.0.1:8600/sessions/a.ome.zarr/');
 * // 'https://hms-dbmi.github.io/vizarr/?source=http%3A%2F%2F127.0.0.1%3A8600%2Fsessions%2Fa.ome.zarr%2F'
 */

export const VIZARR_APP = 'https://hms-dbmi.github.io/vizarr/';
export const NEUROGLANCER_APP = 'https://neuroglancer-demo.appspot.com/';

/** Vizarr opened on `storeUrl`. */
export function vizarrLink(storeUrl: string, app = VIZARR_APP): string {
  return `${app}?source=${encodeURIComponent(storeUrl)}`;
}

/** Neuroglancer with one image layer reading `storeUrl` as OME-Zarr. */
export function neuroglancerLink(storeUrl: string, name: string, app = NEUROGLANCER_APP): string {
  const state = { layers: [{ type: 'image', source: `zarr://${storeUrl.replace(/\/+$/, '')}`, name }], layout: '4panel' };
  return `${app}#!${encodeURIComponent(JSON.stringify(state))}`;
}
