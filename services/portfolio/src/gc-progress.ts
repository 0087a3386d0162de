import { formatReport, type GcReport } from "@portfolio/gc";

/**
 * A progress line on stderr for `portfolio gc`: rewritten in place on a
 * terminal (at most four times a second), a new line every few seconds
 * otherwise, so logs stay readable.
 */
export class GcProgress {
  private last = 0;
  private readonly everyMs: number;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.everyMs = stream.isTTY ? 250 : 5000;
  }

  update(report: GcReport): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    this.write(report);
  }

  done(report: GcReport): void {
    this.write(report);
    if (this.stream.isTTY) this.stream.write("\n");
  }

  private write(report: GcReport): void {
    const line = `${this.label}: ${formatReport(report)}`;
    this.stream.write(this.stream.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  }
}
