// What a terminal shows after a byte stream, as text: a small VT100 model of
// what grayctl's TTY output uses (ora's spinner redraws: carriage return,
// cursor to column, cursor up/down, erase in line/display; colours and modes are
// dropped). Each line is what is left on it once the command ended, the way a
// person sees the scrollback; lines longer than the terminal wrap.
const ESC = String.fromCharCode(0x1b);
const BEL = String.fromCharCode(0x07);
// Built from strings: the escape characters are the point of these patterns.
const CSI = new RegExp(`^${ESC}\\[([?>]?)([0-9;]*)([A-Za-z@])`);
const OTHER_ESCAPE = new RegExp(`^${ESC}(?:\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)|[()][0-9A-Za-z]|[=>78DEHM])`);

export function renderScreen(stream: string, columns = 120): string {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => {
    while (lines.length <= row) lines.push([]);
    return lines[row];
  };
  let i = 0;
  while (i < stream.length) {
    const rest = stream.slice(i, i + 64);
    if (stream[i] === ESC) {
      const csi = CSI.exec(rest);
      if (csi) {
        i += csi[0].length;
        if (csi[1]) continue; // private modes: cursor visibility, synchronized output
        const n = Number(csi[2].split(";")[0] || "0");
        switch (csi[3]) {
          case "G":
            col = Math.max(0, (n || 1) - 1);
            break;
          case "A":
            row = Math.max(0, row - (n || 1));
            break;
          case "B":
            row += n || 1;
            break;
          case "C":
            col += n || 1;
            break;
          case "D":
            col = Math.max(0, col - (n || 1));
            break;
          case "K": {
            const current = line();
            if (n === 0) current.length = Math.min(current.length, col);
            else if (n === 1) for (let c = 0; c <= col && c < current.length; c++) current[c] = " ";
            else current.length = 0;
            break;
          }
          case "J":
            if (n === 0) {
              line().length = Math.min(line().length, col);
              lines.length = row + 1;
            }
            break;
          default: // m (colour) and anything else that does not move text
        }
        continue;
      }
      const other = OTHER_ESCAPE.exec(rest);
      i += other ? other[0].length : 1;
      continue;
    }
    const char = String.fromCodePoint(stream.codePointAt(i) ?? 32);
    i += char.length;
    if (char === "\r") col = 0;
    else if (char === "\n") {
      row++;
      col = 0;
    } else if (char === "\b") col = Math.max(0, col - 1);
    else if (char >= " ") {
      if (col >= columns) {
        row++;
        col = 0;
      }
      const current = line();
      while (current.length < col) current.push(" ");
      current[col++] = char;
    }
  }
  return lines
    .map((chars) => chars.join("").trimEnd())
    .join("\n")
    .replace(/\n+$/, "");
}
