/**
 * The command-code table (spec §4). One row per code: its primary name, any other
 * names it goes by upstream (the collisions of §4.2), and how the server answers it.
 *
 * @example
 * Command.STAGE_POSITION_SET  // 24580
 * commandName(0x3011)         // 'CAMERA_ROI_TOP_SET/CAMERA_STACK_COMPLETE'
 */

/** How the server answers a request with this code (spec §4.3, §11.2 item 3). */
export type ReplyRule =
  | 'flag' // one record, only when TRIGGER_CALL_BACK is set
  | 'always' // one record whether or not the flag is set
  | 'never' // never answered
  | 'unsolicited'; // not a request: the server sends it on its own

export interface CommandInfo {
  readonly code: number;
  readonly name: string;
  /** Other upstream names for the same code (e.g. 0x3011, 0x2005, 0x6006). */
  readonly aliases: readonly string[];
  readonly reply: ReplyRule;
}

const TABLE = [
  [4103, 'COMMON_SCOPE_SETTINGS', [], 'unsolicited'],
  [4104, 'COMMON_SCOPE_SETTINGS_SAVE', [], 'always'],
  [4105, 'COMMON_SCOPE_SETTINGS_LOAD', [], 'always'],
  [4107, 'COMMON_CONTROL_SETTINGS_SAVE', [], 'flag'],
  [4115, 'STORAGE_PATH_GET', ['STORAGE_PATH_SET'], 'flag'],
  [4116, 'STORAGE_PATH_UNMOUNT', [], 'flag'],
  [4117, 'STORAGE_PATH_TEST', [], 'flag'],
  [4119, 'COMMON_SYSTEM_UPDATE_LIVE_VIEW', [], 'flag'],
  [8193, 'LASER_LEVEL_SET', [], 'never'],
  [8194, 'LASER_LEVEL_GET', [], 'flag'],
  [8195, 'LASER_ENABLE', [], 'flag'],
  [8196, 'LASER_PREVIEW_ENABLE', [], 'never'],
  [8197, 'LASER_PREVIEW_DISABLE', ['LASER_ENABLE_LINE'], 'flag'],
  [8198, 'LASER_DISABLE', [], 'flag'],
  [8199, 'LASER_DISABLE_ALL', [], 'never'],
  [12289, 'CAMERA_EXPOSURE_SET', [], 'flag'],
  [12292, 'CAMERA_WORK_FLOW_START', [], 'never'],
  [12293, 'CAMERA_WORK_FLOW_STOP', [], 'always'],
  [12294, 'CAMERA_SNAPSHOT', ['CAMERA_SNAPSHOT_GET'], 'flag'],
  [12295, 'CAMERA_LIVE_VIEW_START', [], 'flag'],
  [12296, 'CAMERA_LIVE_VIEW_STOP', [], 'flag'],
  [12298, 'CAMERA_EXPOSURE_GET', [], 'flag'],
  [12303, 'CAMERA_ROI_LEFT_SET', [], 'flag'],
  [12304, 'CAMERA_ROI_LEFT_GET', [], 'flag'],
  [12305, 'CAMERA_ROI_TOP_SET', ['CAMERA_STACK_COMPLETE'], 'flag'],
  [12306, 'CAMERA_ROI_TOP_GET', [], 'flag'],
  [12327, 'CAMERA_IMAGE_SIZE_GET', [], 'flag'],
  [12331, 'CAMERA_CHECK_STACK', [], 'flag'],
  [12342, 'CAMERA_CHECK_STACK_UPDATES', [], 'flag'],
  [12343, 'CAMERA_PIXEL_FIELD_OF_VIEW_GET', [], 'flag'],
  [12354, 'CAMERA_PIXEL_SIZE_GET', [], 'flag'],
  [12355, 'CAMERA_FIELD_OF_VIEW_GET', [], 'flag'],
  [16385, 'LED_SET', [], 'flag'],
  [16386, 'LED_PREVIEW_ENABLE', [], 'flag'],
  [16387, 'LED_PREVIEW_DISABLE', [], 'flag'],
  [16390, 'LED_SELECTION_CHANGE', [], 'flag'],
  [20481, 'FILTER_POSITION_SET', [], 'flag'],
  [20482, 'FILTER_POSITION_GET', [], 'flag'],
  [24577, 'STAGE_HOME', [], 'flag'],
  [24578, 'STAGE_HALT', [], 'flag'],
  [24580, 'STAGE_POSITION_SET', [], 'flag'],
  [24581, 'STAGE_POSITION_SET_SLIDER', [], 'flag'],
  [24582, 'STAGE_VELOCITY_SET', ['STAGE_POSITION_SET_TEXT_ENTRY'], 'flag'],
  [24584, 'STAGE_POSITION_GET', [], 'flag'],
  [24585, 'STAGE_SAVE_LOCATIONS_GET', [], 'flag'],
  [24586, 'STAGE_SAVE_LOCATIONS_SET', [], 'flag'],
  [24591, 'STAGE_WAIT_FOR_MOTION', [], 'flag'],
  [24592, 'STAGE_MOTION_STOPPED', [], 'unsolicited'],
  [28676, 'ILLUMINATION_LEFT_ENABLE', [], 'flag'],
  [28677, 'ILLUMINATION_LEFT_DISABLE', [], 'flag'],
  [28678, 'ILLUMINATION_RIGHT_ENABLE', [], 'flag'],
  [28679, 'ILLUMINATION_RIGHT_DISABLE', [], 'flag'],
  [36867, 'UI_SET_GAUGE_SIZE', [], 'unsolicited'],
  [36868, 'UI_SET_GAUGE_VALUE', [], 'unsolicited'],
  [36869, 'UI_LIVE_VIEW_UPDATE_ON_CHANGE_ENABLED', [], 'unsolicited'],
  [36872, 'UI_IMAGES_SAVED_TO_STORAGE', [], 'unsolicited'],
  [40961, 'SYSTEM_STATE_DISCONNECTED', [], 'unsolicited'],
  [40962, 'SYSTEM_STATE_IDLE', [], 'unsolicited'],
  [40963, 'SYSTEM_STATE_SNAP_SHOT', [], 'unsolicited'],
  [40964, 'SYSTEM_STATE_LIVE_VIEW', [], 'unsolicited'],
  [40965, 'SYSTEM_STATE_WORK_FLOW_RUNNING', [], 'unsolicited'],
  [40967, 'SYSTEM_STATE_GET', [], 'always'],
] as const satisfies readonly (readonly [number, string, readonly string[], ReplyRule])[];

type Row = (typeof TABLE)[number];
type PrimaryName = Row[1];
type AliasName = Row[2][number];

/** Every code by name, aliases included (`Command.CAMERA_STACK_COMPLETE === Command.CAMERA_ROI_TOP_SET`). */
export const Command = Object.freeze(
  Object.fromEntries(TABLE.flatMap(([code, name, aliases]) => [[name, code], ...aliases.map((a) => [a, code])])),
) as { readonly [K in PrimaryName | AliasName]: number };

/** The whole table, keyed by code. */
export const COMMANDS: ReadonlyMap<number, CommandInfo> = new Map(
  TABLE.map(([code, name, aliases, reply]) => [code, { code, name, aliases, reply }]),
);

/** A readable name for any code: all names joined by `/`, or hex for an unknown code. */
export function commandName(code: number): string {
  const info = COMMANDS.get(code);
  if (!info) return `UNKNOWN_0x${(code >>> 0).toString(16).toUpperCase()}`;
  return [info.name, ...info.aliases].join('/');
}

/**
 * Whether the server answers `code`: `flag` is whether TRIGGER_CALL_BACK was set.
 * Unknown codes follow the general rule (answered only with the flag).
 */
export function serverReplies(code: number, flag: boolean): boolean {
  const rule = COMMANDS.get(code)?.reply ?? 'flag';
  if (rule === 'always') return true;
  if (rule === 'flag') return flag;
  return false;
}
