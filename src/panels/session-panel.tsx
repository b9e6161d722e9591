/**
 * The session panel: the session shown (name, status, description), Save session (stores the
 * viewer state in the session's metadata through the backend), open a stored session, a URL or
 * a local folder, Load Test Data (`.tif`, `.npy`, a `.zarr` folder), export as zip (served
 * sessions too: the bridge lists their files), and links
 * that open a served session in Vizarr or Neuroglancer. Errors are shown here; the app stays usable.
 *
 * @example
 * <SessionPanel backend={backend} viewer={viewer} />
 */
import { useEffect, useId, useState } from 'react';
import type { ChangeEvent, FormEvent, ReactElement } from 'react';
import type { SessionEntry } from '../acquisition/live-backend.ts';
import { sessionStoreFor } from './session-store.ts';
import type { ReadableSessionStore } from '../session/store/types.ts';
import type { PanelProps } from './types.ts';
import { errorText, useLiveState } from './live-state.ts';
import { openFiles } from './open-files.ts';
import { openDirectoryHandle, openUrl } from './open-sources.ts';
import { fromImageDescription, storedViewerOf, toViewerRecord } from './viewer-record.ts';
import { neuroglancerLink, vizarrLink } from './viewer-links.ts';
import { zipStore } from './zip-export.ts';
import { formatBytes } from './plan-form.ts';

interface DirectoryPickerWindow {
  showDirectoryPicker?: (options?: { mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
}

function download(bytes: Uint8Array, fileName: string): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function SessionPanel({ backend, viewer }: PanelProps): ReactElement {
  const [live] = useLiveState(backend);
  const ids = useId();
  const [description, setDescription] = useState('');
  const [sessions, setSessions] = useState<SessionEntry[]>([]);
  const [chosen, setChosen] = useState('');
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const content = viewer.content();
  const session = content?.kind === 'session' ? content.session : live.session;
  const shownName = content?.kind === 'image' ? content.image.name : (session?.name ?? null);

  async function run(label: string, action: () => Promise<string | void>): Promise<void> {
    setBusy(label);
    setError(null);
    setNotice(null);
    try {
      const done = await action();
      if (typeof done === 'string') setNotice(done);
    } catch (err) {
      setError(`${label} failed: ${errorText(err)}`);
    } finally {
      setBusy(null);
    }
  }

  const refresh = (): Promise<void> =>
    run('Listing sessions', async () => {
      const list = await backend.listSessions();
      setSessions(list);
      if (!list.some((s) => s.name === chosen)) setChosen(list[0]?.name ?? '');
    });

  useEffect(() => {
    let stale = false;
    backend.listSessions().then(
      (list) => {
        if (stale) return;
        setSessions(list);
        setChosen((c) => (list.some((s) => s.name === c) ? c : (list[0]?.name ?? '')));
      },
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [backend, live.acquiring]);

  const save = (): Promise<void> =>
    run('Save session', async () => {
      if (session === null || content?.kind === 'image') throw new Error('There is no session of this microscope to save; start an acquisition or open a stored session first.');
      const entry = await backend.saveSession(session.name, { description, viewer: toViewerRecord(viewer.snapshot()) });
      void refresh();
      return `Saved ${entry.name} (${formatBytes(entry.bytes)}).`;
    });

  const openStored = (e: FormEvent): Promise<void> => {
    e.preventDefault();
    return run('Open session', async () => {
      if (chosen === '') throw new Error('Choose a session from the list first.');
      const info = await backend.openSession(chosen);
      viewer.show({ kind: 'session', session: info });
      viewer.restore(await storedViewerOf(backend, info));
      return `Opened ${info.name}.`;
    });
  };

  const openFromUrl = (e: FormEvent): Promise<void> => {
    e.preventDefault();
    return run('Open URL', async () => {
      const opened = await openUrl(url.trim());
      viewer.show({ kind: 'image', image: opened.image, store: opened.store });
      viewer.restore(fromImageDescription(opened.image));
      return `Opened ${opened.image.name}.`;
    });
  };

  const openFolder = (): Promise<void> =>
    run('Open folder', async () => {
      const picker = (window as unknown as DirectoryPickerWindow).showDirectoryPicker;
      if (picker === undefined) throw new Error('This browser cannot open local folders (no showDirectoryPicker); use Load test data with a .zarr folder instead.');
      const handle = await picker({ mode: 'read' });
      const opened = await openDirectoryHandle(handle);
      viewer.show({ kind: 'image', image: opened.image, store: opened.store });
      viewer.restore(fromImageDescription(opened.image));
      return `Opened ${opened.image.name}.`;
    });

  const loadFiles = (e: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const files = e.target.files;
    return run('Load test data', async () => {
      if (files === null) throw new Error('No file was chosen.');
      const opened = await openFiles(files);
      viewer.show({ kind: 'image', image: opened.image, store: opened.store });
      return `Loaded ${opened.image.name}.`;
    });
  };

  const exportZip = (): Promise<void> =>
    run('Export as zip', async () => {
      let store: ReadableSessionStore | null = null;
      let name = shownName ?? 'session';
      if (content?.kind === 'image') store = content.store;
      else if (session !== null) {
        store = await sessionStoreFor(backend, session);
        if (store === null) throw new Error(`The files of ${session.name} cannot be read from this page.`);
        name = session.name;
      }
      if (store === null) throw new Error('A single-file image has no session files to export.');
      const bytes = await zipStore(store, name);
      download(bytes, `${name}.ome.zarr.zip`);
      return `Exported ${name} (${formatBytes(bytes.length)}).`;
    });

  const served = session !== null && content?.kind !== 'image' ? session.storeUrl : null;
  const folderSupported = typeof window !== 'undefined' && (window as unknown as DirectoryPickerWindow).showDirectoryPicker !== undefined;

  return (
    <section className="fv-panel" aria-labelledby={`${ids}-h`}>
      <h2 id={`${ids}-h`}>Session</h2>
      <p aria-label="Shown session">{shownName === null ? 'No session shown.' : `${shownName}${session !== null && content?.kind !== 'image' ? ` (${session.status})` : ' (opened read-only)'}`}</p>
      <label>
        Description
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />
      </label>
      <button type="button" onClick={() => void save()} disabled={busy !== null || session === null || content?.kind === 'image'}>
        Save session
      </button>

      <form aria-label="Open a stored session" onSubmit={(e) => void openStored(e)}>
        <label>
          Stored sessions
          <select value={chosen} onChange={(e) => setChosen(e.target.value)} size={Math.min(6, Math.max(2, sessions.length))}>
            {sessions.map((s) => (
              <option key={s.name} value={s.name}>{`${s.name} — ${s.status}, ${formatBytes(s.bytes)}`}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void refresh()} disabled={busy !== null}>
          Refresh list
        </button>
        <button type="submit" disabled={busy !== null || chosen === ''}>
          Open session
        </button>
      </form>

      <form aria-label="Open by URL" onSubmit={(e) => void openFromUrl(e)}>
        <label>
          Session URL
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://…/image.ome.zarr/" />
        </label>
        <button type="submit" disabled={busy !== null || url.trim() === ''}>
          Open URL
        </button>
      </form>

      <button type="button" onClick={() => void openFolder()} disabled={busy !== null || !folderSupported}>
        Open folder
      </button>
      <fieldset>
        <legend>Load test data</legend>
        <label>
          Test data file (.tif, .npy)
          <input type="file" accept=".tif,.tiff,.npy" onChange={(e) => void loadFiles(e)} disabled={busy !== null} />
        </label>
        <label>
          Test data folder (.zarr)
          <input type="file" {...{ webkitdirectory: '' }} onChange={(e) => void loadFiles(e)} disabled={busy !== null} />
        </label>
      </fieldset>

      <button type="button" onClick={() => void exportZip()} disabled={busy !== null || shownName === null}>
        Export as zip
      </button>
      {served !== null && session !== null && (
        <p>
          <a href={vizarrLink(served)} target="_blank" rel="noreferrer">
            Open in Vizarr
          </a>{' '}
          <a href={neuroglancerLink(served, session.name)} target="_blank" rel="noreferrer">
            Open in Neuroglancer
          </a>
        </p>
      )}
      {busy !== null && <p aria-live="polite">{`${busy}…`}</p>}
      {notice !== null && <p aria-live="polite">{notice}</p>}
      {error !== null && <p role="alert">{error}</p>}
    </section>
  );
}
