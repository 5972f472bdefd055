import { byteRange } from '../src/internal/http.js';

describe('byteRange: the one range of a Range header (RFC 9110 §14)', () => {
  it.each([
    ['bytes=0-99', 1000, [0, 99]],
    ['bytes=44-1043', 1000, [44, 999]],
    ['bytes=500-', 1000, [500, 999]],
    ['bytes=-100', 1000, [900, 999]],
    ['bytes=-5000', 1000, [0, 999]],
    ['bytes=999-999', 1000, [999, 999]],
    [' bytes=1-2 ', 10, [1, 2]],
  ] as const)('%s of %d bytes is %j', (header, size, range) => {
    expect(byteRange(header, size)).toEqual(range);
  });

  it.each([
    ['bytes=1000-', 1000],
    ['bytes=1000-2000', 1000],
    ['bytes=-0', 1000],
    ['bytes=0-', 0],
  ] as const)('%s of %d bytes cannot be served', (header, size) => {
    expect(byteRange(header, size)).toBe('unsatisfiable');
  });

  it.each([undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-9', 'bytes=9-1', 'bytes=a-b', 'bytes=1234567890123456-', 'bytes=0-1\r\nx: y'])(
    '%j means the whole', (header) => {
      expect(byteRange(header, 1000)).toBeUndefined();
    });
});
