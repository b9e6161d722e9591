/**
 * The code table (spec §4): every row of §4.1 by code, hex and name, the collisions of
 * §4.2, the reply rules of §4.3 / §11.2 item 3, and the constants §11.1 item 4 asks for.
 *
 * @example
 * npx vitest run test/acquisition/protocol/codes.test.ts
 */
import { describe, expect, it } from 'vitest';
import {
  AXIS_NAMES,
  Axis,
  COMMANDS,
  Command,
  Flags,
  ImageOptions,
  SystemState,
  commandName,
  isIdleState,
  serverReplies,
} from '../../../src/acquisition/protocol/index.ts';

/** §4.1, row by row: decimal, hex as the spec writes it, every name the code goes by. */
const SPEC_TABLE: readonly (readonly [number, string, readonly string[]])[] = [
  [4103, '0x1007', ['COMMON_SCOPE_SETTINGS']],
  [4104, '0x1008', ['COMMON_SCOPE_SETTINGS_SAVE']],
  [4105, '0x1009', ['COMMON_SCOPE_SETTINGS_LOAD']],
  [4107, '0x100B', ['COMMON_CONTROL_SETTINGS_SAVE']],
  [4115, '0x1013', ['STORAGE_PATH_GET', 'STORAGE_PATH_SET']],
  [4116, '0x1014', ['STORAGE_PATH_UNMOUNT']],
  [4117, '0x1015', ['STORAGE_PATH_TEST']],
  [4119, '0x1017', ['COMMON_SYSTEM_UPDATE_LIVE_VIEW']],
  [8193, '0x2001', ['LASER_LEVEL_SET']],
  [8194, '0x2002', ['LASER_LEVEL_GET']],
  [8195, '0x2003', ['LASER_ENABLE']],
  [8196, '0x2004', ['LASER_PREVIEW_ENABLE']],
  [8197, '0x2005', ['LASER_PREVIEW_DISABLE', 'LASER_ENABLE_LINE']],
  [8198, '0x2006', ['LASER_DISABLE']],
  [8199, '0x2007', ['LASER_DISABLE_ALL']],
  [12289, '0x3001', ['CAMERA_EXPOSURE_SET']],
  [12292, '0x3004', ['CAMERA_WORK_FLOW_START']],
  [12293, '0x3005', ['CAMERA_WORK_FLOW_STOP']],
  [12294, '0x3006', ['CAMERA_SNAPSHOT', 'CAMERA_SNAPSHOT_GET']],
  [12295, '0x3007', ['CAMERA_LIVE_VIEW_START']],
  [12296, '0x3008', ['CAMERA_LIVE_VIEW_STOP']],
  [12298, '0x300A', ['CAMERA_EXPOSURE_GET']],
  [12303, '0x300F', ['CAMERA_ROI_LEFT_SET']],
  [12304, '0x3010', ['CAMERA_ROI_LEFT_GET']],
  [12305, '0x3011', ['CAMERA_ROI_TOP_SET', 'CAMERA_STACK_COMPLETE']],
  [12306, '0x3012', ['CAMERA_ROI_TOP_GET']],
  [12327, '0x3027', ['CAMERA_IMAGE_SIZE_GET']],
  [12331, '0x302B', ['CAMERA_CHECK_STACK']],
  [12342, '0x3036', ['CAMERA_CHECK_STACK_UPDATES']],
  [12343, '0x3037', ['CAMERA_PIXEL_FIELD_OF_VIEW_GET']],
  [12354, '0x3042', ['CAMERA_PIXEL_SIZE_GET']],
  [12355, '0x3043', ['CAMERA_FIELD_OF_VIEW_GET']],
  [16385, '0x4001', ['LED_SET']],
  [16386, '0x4002', ['LED_PREVIEW_ENABLE']],
  [16387, '0x4003', ['LED_PREVIEW_DISABLE']],
  [16390, '0x4006', ['LED_SELECTION_CHANGE']],
  [20481, '0x5001', ['FILTER_POSITION_SET']],
  [20482, '0x5002', ['FILTER_POSITION_GET']],
  [24577, '0x6001', ['STAGE_HOME']],
  [24578, '0x6002', ['STAGE_HALT']],
  [24580, '0x6004', ['STAGE_POSITION_SET']],
  [24581, '0x6005', ['STAGE_POSITION_SET_SLIDER']],
  [24582, '0x6006', ['STAGE_VELOCITY_SET', 'STAGE_POSITION_SET_TEXT_ENTRY']],
  [24584, '0x6008', ['STAGE_POSITION_GET']],
  [24585, '0x6009', ['STAGE_SAVE_LOCATIONS_GET']],
  [24586, '0x600A', ['STAGE_SAVE_LOCATIONS_SET']],
  [24591, '0x600F', ['STAGE_WAIT_FOR_MOTION']],
  [24592, '0x6010', ['STAGE_MOTION_STOPPED']],
  [28676, '0x7004', ['ILLUMINATION_LEFT_ENABLE']],
  [28677, '0x7005', ['ILLUMINATION_LEFT_DISABLE']],
  [28678, '0x7006', ['ILLUMINATION_RIGHT_ENABLE']],
  [28679, '0x7007', ['ILLUMINATION_RIGHT_DISABLE']],
  [36867, '0x9003', ['UI_SET_GAUGE_SIZE']],
  [36868, '0x9004', ['UI_SET_GAUGE_VALUE']],
  [36869, '0x9005', ['UI_LIVE_VIEW_UPDATE_ON_CHANGE_ENABLED']],
  [36872, '0x9008', ['UI_IMAGES_SAVED_TO_STORAGE']],
  [40961, '0xA001', ['SYSTEM_STATE_DISCONNECTED']],
  [40962, '0xA002', ['SYSTEM_STATE_IDLE']],
  [40963, '0xA003', ['SYSTEM_STATE_SNAP_SHOT']],
  [40964, '0xA004', ['SYSTEM_STATE_LIVE_VIEW']],
  [40965, '0xA005', ['SYSTEM_STATE_WORK_FLOW_RUNNING']],
  [40967, '0xA007', ['SYSTEM_STATE_GET']],
];

const byName = Command as Readonly<Record<string, number>>;

describe('§4.1 table', () => {
  it('holds exactly the codes of the spec, no more and no fewer', () => {
    expect([...COMMANDS.keys()].sort((a, b) => a - b)).toEqual(SPEC_TABLE.map(([code]) => code));
  });

  it.each(SPEC_TABLE)('%i (%s) is %j', (code, hex, names) => {
    expect(code).toBe(Number.parseInt(hex, 16));
    const info = COMMANDS.get(code);
    expect(info).toBeDefined();
    expect(info!.code).toBe(code);
    expect([info!.name, ...info!.aliases]).toEqual(names);
    for (const name of names) expect(byName[name], name).toBe(code);
    expect(commandName(code)).toBe(names.join('/'));
  });

  it('Command has one entry per name and every entry is in the table', () => {
    const allNames = SPEC_TABLE.flatMap(([, , names]) => names);
    expect(Object.keys(Command).sort()).toEqual([...allNames].sort());
    expect(Object.isFrozen(Command)).toBe(true);
  });

  it('unknown codes get a hex name', () => {
    expect(commandName(0x1234)).toBe('UNKNOWN_0x1234');
    expect(commandName(0xffffffff)).toBe('UNKNOWN_0xFFFFFFFF');
    expect(commandName(4136)).toBe('UNKNOWN_0x1028'); // the old workflow-start code, not in the table
  });
});

describe('§4.2 collisions', () => {
  it('0x3011 is both CAMERA_ROI_TOP_SET and CAMERA_STACK_COMPLETE', () => {
    expect(Command.CAMERA_ROI_TOP_SET).toBe(0x3011);
    expect(Command.CAMERA_STACK_COMPLETE).toBe(0x3011);
    expect(commandName(0x3011)).toBe('CAMERA_ROI_TOP_SET/CAMERA_STACK_COMPLETE');
    // As a request it is the ROI set, answered with the flag.
    expect(serverReplies(0x3011, true)).toBe(true);
    expect(serverReplies(0x3011, false)).toBe(false);
  });

  it('0x2005 and 0x6006 keep both names', () => {
    expect(Command.LASER_PREVIEW_DISABLE).toBe(0x2005);
    expect(Command.LASER_ENABLE_LINE).toBe(0x2005);
    expect(commandName(0x2005)).toBe('LASER_PREVIEW_DISABLE/LASER_ENABLE_LINE');
    expect(Command.STAGE_VELOCITY_SET).toBe(0x6006);
    expect(Command.STAGE_POSITION_SET_TEXT_ENTRY).toBe(0x6006);
    expect(commandName(0x6006)).toBe('STAGE_VELOCITY_SET/STAGE_POSITION_SET_TEXT_ENTRY');
  });

  it('both STAGE_POSITION_SET codes exist (24580 and the slider 24581)', () => {
    expect(Command.STAGE_POSITION_SET).toBe(24580);
    expect(Command.STAGE_POSITION_SET_SLIDER).toBe(24581);
  });
});

describe('reply rules (§4.3, §11.2 item 3)', () => {
  it('always answers 40967, 12293, 4105 and 4104, flag or not', () => {
    for (const code of [40967, 12293, 4105, 4104]) {
      expect(serverReplies(code, false), `${code} without flag`).toBe(true);
      expect(serverReplies(code, true), `${code} with flag`).toBe(true);
      expect(COMMANDS.get(code)!.reply).toBe('always');
    }
  });

  it('never answers 12292, 0x2001, 0x2004 or 0x2007, flag or not', () => {
    for (const code of [12292, 0x2001, 0x2004, 0x2007]) {
      expect(serverReplies(code, true), `${code} with flag`).toBe(false);
      expect(serverReplies(code, false), `${code} without flag`).toBe(false);
      expect(COMMANDS.get(code)!.reply).toBe('never');
    }
  });

  it('answers everything else only with the flag', () => {
    const special = new Set([40967, 12293, 4105, 4104, 12292, 0x2001, 0x2004, 0x2007]);
    for (const [code, info] of COMMANDS) {
      if (special.has(code)) continue;
      expect(serverReplies(code, false), `${code} without flag`).toBe(false);
      if (info.reply === 'flag') expect(serverReplies(code, true), `${code} with flag`).toBe(true);
      else expect(info.reply).toBe('unsolicited');
    }
    // Queries the rig left unanswered without the flag (§2.2, §4.1).
    expect(serverReplies(Command.STAGE_POSITION_GET, false)).toBe(false);
    expect(serverReplies(Command.STAGE_POSITION_GET, true)).toBe(true);
    expect(serverReplies(Command.CAMERA_IMAGE_SIZE_GET, true)).toBe(true);
  });

  it('unsolicited codes are not answered as requests (4103, 0x6010)', () => {
    expect(serverReplies(Command.COMMON_SCOPE_SETTINGS, true)).toBe(false);
    expect(serverReplies(Command.STAGE_MOTION_STOPPED, true)).toBe(false);
  });

  it('unknown codes follow the general rule', () => {
    expect(serverReplies(0x1234, true)).toBe(true);
    expect(serverReplies(0x1234, false)).toBe(false);
  });
});

describe('constants (§2.2, §6.1, §7.1, §7.2)', () => {
  it('flags', () => {
    expect(Flags).toEqual({
      TRIGGER_CALL_BACK: 0x80000000,
      EXPERIMENT_TIME_REMAINING: 0x01,
      STAGE_POSITIONS_IN_BUFFER: 0x02,
      MAX_PROJECTION: 0x04,
      SAVE_TO_DISK: 0x08,
      STAGE_NOT_UPDATE_CLIENT: 0x10,
      STAGE_ZSWEEP: 0x20,
    });
  });

  it('system states equal the state-broadcast codes', () => {
    expect(SystemState.IDLE).toBe(Command.SYSTEM_STATE_IDLE);
    expect(SystemState.DISCONNECTED).toBe(Command.SYSTEM_STATE_DISCONNECTED);
    expect(SystemState.SNAP_SHOT).toBe(Command.SYSTEM_STATE_SNAP_SHOT);
    expect(SystemState.LIVE_VIEW).toBe(Command.SYSTEM_STATE_LIVE_VIEW);
    expect(SystemState.WORK_FLOW_RUNNING).toBe(Command.SYSTEM_STATE_WORK_FLOW_RUNNING);
    expect(isIdleState(0)).toBe(true);
    expect(isIdleState(40962)).toBe(true);
    expect(isIdleState(0xa005)).toBe(false);
    expect(isIdleState(0xa004)).toBe(false);
  });

  it('axes and image options', () => {
    expect(Axis).toEqual({ X: 1, Y: 2, Z: 3, R: 4 });
    expect(AXIS_NAMES).toEqual({ 1: 'x', 2: 'y', 3: 'z', 4: 'r' });
    expect(ImageOptions.IMAGE_DATA).toBe(0x10);
    expect(ImageOptions.MAX_PROJECTION).toBe(0x20);
    expect(ImageOptions).toEqual({
      SUBTRACT: 0x01,
      RGB: 0x02,
      CROSSHAIR: 0x04,
      ZOOM: 0x08,
      IMAGE_DATA: 0x10,
      MAX_PROJECTION: 0x20,
      SPLIT_OVERLAY: 0x40,
      ZOOM_CAMERA_1: 0x100,
      ZOOM_CAMERA_2: 0x200,
      ZOOM_CAMERA_3: 0x400,
    });
  });
});
