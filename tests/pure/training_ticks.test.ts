// The training charts' axis / tooltip labels: short, whole, zero as "0".
import { describe, expect, it } from 'vitest';
import { tickLabel } from '../../src/ui/train/TrainCharts';

describe('tickLabel', () => {
  it('writes zero (and -0) as "0"', () => {
    expect(tickLabel(0)).toBe('0');
    expect(tickLabel(-0)).toBe('0');
  });
  it('uses a compact exponent for small and large values', () => {
    expect(tickLabel(-2e-10)).toBe('-2e-10');
    expect(tickLabel(-2.5e-9)).toBe('-2.5e-9');
    expect(tickLabel(7.5e-4)).toBe('7.5e-4');
    expect(tickLabel(1e-3 - 1e-9)).toBe('1e-3');
    expect(tickLabel(123456)).toBe('1.23e5');
    expect(tickLabel(-1.0000000000000001e-8)).toBe('-1e-8');
  });
  it('keeps 3 significant digits without trailing zeros in between', () => {
    expect(tickLabel(4)).toBe('4');
    expect(tickLabel(24)).toBe('24');
    expect(tickLabel(0.25)).toBe('0.25');
    expect(tickLabel(0.1 + 0.2)).toBe('0.3');
    expect(tickLabel(5.5321)).toBe('5.53');
    expect(tickLabel(0.001)).toBe('0.001');
    expect(tickLabel(-1.5)).toBe('-1.5');
  });
  it('passes non-finite values through', () => {
    expect(tickLabel(Number.NaN)).toBe('NaN');
    expect(tickLabel(Infinity)).toBe('Infinity');
  });
});
