// A writable stand-in for stdout/stderr that keeps what was written.
export class MemorySink {
  text = "";
  isTTY: boolean;
  constructor(isTTY = false) {
    this.isTTY = isTTY;
  }
  columns = 80;
  // The cursor calls ora makes on a terminal; a memory sink has no cursor.
  cursorTo(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
