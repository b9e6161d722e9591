/**
 * The channel list: per channel a visibility switch, a colour and a contrast range, each with an
 * accessible name that includes the channel's name.
 *
 * @example
 * <ChannelList channels={channels} onChange={(i, patch) => …} />
 */
import type { ReactElement } from 'react';
import type { HostChannel } from '../src/plugin.ts';

export interface ChannelListProps {
  channels: readonly HostChannel[];
  onChange: (position: number, patch: Partial<HostChannel>) => void;
}

export function ChannelList({ channels, onChange }: ChannelListProps): ReactElement {
  return (
    <section className="fv-channels" aria-label="Channels">
      <h2>Channels</h2>
      {channels.length === 0 && <p>No channels yet.</p>}
      <ul>
        {channels.map((c, i) => (
          <li key={c.index}>
            <label>
              <input type="checkbox" checked={c.visible} onChange={(e) => onChange(i, { visible: e.target.checked })} aria-label={`Show ${c.name}`} />
              {c.name}
            </label>
            <input
              type="color"
              value={`#${c.color.toLowerCase()}`}
              onChange={(e) => onChange(i, { color: e.target.value.replace('#', '').toUpperCase() })}
              aria-label={`Colour of ${c.name}`}
            />
            <input
              type="number"
              value={c.contrast[0]}
              onChange={(e) => {
                const v = Number(e.target.value);
                if (Number.isFinite(v)) onChange(i, { contrast: [v, c.contrast[1]] });
              }}
              aria-label={`Contrast minimum of ${c.name}`}
            />
            <input
              type="number"
              value={c.contrast[1]}
              onChange={(e) => {
                const v = Number(e.target.value);
                if (Number.isFinite(v)) onChange(i, { contrast: [c.contrast[0], v] });
              }}
              aria-label={`Contrast maximum of ${c.name}`}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
