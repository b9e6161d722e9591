/**
 * Parsers for option values; each throws a UsageError that names the option and the
 * value it could not use.
 *
 * @example
 * parseHostPort('--microscope', '127.0.0.1:53717') // { host: '127.0.0.1', port: 53717 }
 */
import { UsageError } from './command.ts';

export function parseIntOption(name: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${name} must be an integer, got '${value}'.`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

export function parseNumberOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${name} must be a number, got '${value}'.`);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

export function parsePort(name: string, value: string): number {
  return parseIntOption(name, value, 0, 65534);
}

export function parseHostPort(name: string, value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value.trim());
  if (!m) throw new UsageError(`${name} must be HOST:PORT (e.g. 127.0.0.1:53717), got '${value}'.`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host, port: parseIntOption(name, m[2]!, 1, 65534) };
}

/** `WxH` such as `2048x2048`. */
export function parseSize(name: string, value: string): { width: number; height: number } {
  const m = /^(\d+)[xX×](\d+)$/.exec(value.trim());
  if (!m) throw new UsageError(`${name} must be WIDTHxHEIGHT (e.g. 2048x2048), got '${value}'.`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < 8 || height < 8 || width > 4096 || height > 4096) {
    throw new UsageError(`${name} must be between 8x8 and 4096x4096, got ${width}x${height}.`);
  }
  return { width, height };
}

export function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${name} must be one of ${choices.join(', ')}, got '${value}'.`);
  }
  return value as T;
}
