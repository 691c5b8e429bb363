/**
 * Builds the data plane and DNS components for a Privlink instance from its options.
 * (Kept apart from emulator.ts so tests of the API alone do not load the data plane.)
 */
import type { Component, Privlink } from './emulator.js';

export function createComponents(_p: Privlink): Component[] {
  return [];
}
