// A 5x7 bitmap font for printable ASCII (32 "space" to 126 "~"), so the
// synthetic source can draw its name and frame number without dependencies.
// Private to capture/.

/**
 * One glyph per character, from " " (32) to "~" (126). Each glyph is 7 rows,
 * top first; each row is one base-32 digit whose 5 bits are the pixels, the
 * most significant bit leftmost.
 */
// deno-fmt-ignore
const GLYPHS: readonly string[] = [
  "0000000", "4444404", "aaa0000", "aavavaa", "4fke5u4", "op248j3", "cik8lid", "c480000", //  !"#$%&'
  "2488842", "8422248", "0a4v4a0", "044v440", "0000c48", "000v000", "00000cc", "01248g0", // ()*+,-./
  "ehjlphe", "4c4444e", "eh1248v", "v2421he", "26aiv22", "vgu11he", "68guhhe", "v124888", // 01234567
  "ehhehhe", "ehhf12c", "0cc0cc0", "0cc0c48", "248g842", "00v0v00", "8421248", "eh12404", // 89:;<=>?
  "eh1dlle", "ehhhvhh", "uhhuhhu", "ehggghe", "sihhhis", "vgguggv", "vggsggg", "ehggjhe", // @ABCDEFG
  "hhhvhhh", "e44444e", "72222ic", "hikokih", "ggggggv", "hrlhhhh", "hhpljhh", "ehhhhhe", // HIJKLMNO
  "uhhuggg", "ehhhlid", "uhhukih", "fgge11u", "v444444", "hhhhhhe", "hhhhha4", "hhhllrh", // PQRSTUVW
  "hha4ahh", "hha4444", "v1248gv", "e88888e", "0g84210", "e22222e", "4ah0000", "000000v", // XYZ[\]^_
  "8420000", "00e1fhf", "ggmphhu", "00egghe", "11djhhf", "00ehvge", "698s888", "00fhf16", // `abcdefg
  "ggmphhh", "40c444e", "20622ic", "889aca9", "c44444e", "00qllhh", "00mphhh", "00ehhhe", // hijklmno
  "00uhugg", "00djf11", "00mpggg", "00ege1u", "88s8896", "00hhhjd", "00hhha4", "00hhlla", // pqrstuvw
  "00ha4ah", "00hhf1e", "00v248v", "2448442", "4444444", "8442448", "000di00", // xyz{|}~
];

/** Glyph width in pixels (before scaling). */
export const GLYPH_WIDTH = 5;
/** Glyph height in pixels (before scaling). */
export const GLYPH_HEIGHT = 7;
/** The first character with a glyph (space). */
export const FIRST_CHAR = 32;
/** The last character with a glyph (tilde). */
export const LAST_CHAR = 126;

/** Rows of every glyph, decoded once: ROWS[(code - 32) * 7 + row] holds 5 bits. */
const ROWS: Uint8Array = (() => {
  const rows = new Uint8Array(GLYPHS.length * GLYPH_HEIGHT);
  GLYPHS.forEach((glyph, index) => {
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      rows[index * GLYPH_HEIGHT + row] = parseInt(glyph[row], 32);
    }
  });
  return rows;
})();

/**
 * The 5-bit pixel row `row` (0 = top) of character `code`; characters
 * without a glyph draw as "?".
 */
export function glyphRow(code: number, row: number): number {
  const index = code >= FIRST_CHAR && code <= LAST_CHAR ? code - FIRST_CHAR : 63 - FIRST_CHAR;
  return ROWS[index * GLYPH_HEIGHT + row];
}
