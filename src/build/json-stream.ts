// Reads the engine's progress stream: newline-delimited JSON objects that may
// arrive split across chunks. The engine answers HTTP 200 for builds and pushes
// that fail and reports the failure inside the stream ({error, errorDetail}),
// so callers inspect every message; this only frames them and enforces a deadline.
import type { Readable } from "node:stream";
import { BuildTimeoutError } from "./errors.ts";

export interface EngineMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
}

export async function readEngineStream(
  stream: Readable,
  onMessage: (message: EngineMessage) => void,
  options: { what: string; timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  let buffer = "";
  const deliver = (line: string) => {
    if (line.trim() === "") return;
    try {
      onMessage(JSON.parse(line) as EngineMessage);
    } catch (error) {
      // A line that is not JSON is the engine talking plain text; keep it as output.
      if (error instanceof SyntaxError) onMessage({ stream: `${line}\n` });
      else throw error;
    }
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => stop(new BuildTimeoutError(options.what, options.timeoutMs)), options.timeoutMs);
    const onAbort = () => stop(options.signal?.reason ?? new Error("cancelled"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    function stop(error?: unknown) {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (error) {
        // Destroying the response closes the connection, which makes the engine stop the build.
        stream.destroy();
        reject(error);
      } else resolve();
    }
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          deliver(line);
        } catch (error) {
          stop(error);
          return;
        }
        newline = buffer.indexOf("\n");
      }
    });
    stream.on("end", () => {
      try {
        deliver(buffer);
        stop();
      } catch (error) {
        stop(error);
      }
    });
    stream.on("error", (error) => stop(error));
    if (options.signal?.aborted) onAbort();
  });
}
