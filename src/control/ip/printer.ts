// iproute2's output layer (lib/json_print.c) in one object: every print_* call there is either text
// (PRINT_FP), a JSON member (PRINT_JSON) or both (PRINT_ANY). The show commands are written as the C
// print_route / print_rule / print_neigh / print_linkinfo / print_addrinfo are, so the text and the
// `-j` JSON come out with iproute2's words, spacing and key order. JSON is one array per command,
// compact, ending in a newline, as jsonw prints it.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class Printer {
  private text = '';
  private readonly stack: Array<Json[] | { [k: string]: Json }> = [];
  private readonly root: Json[] = [];

  constructor(readonly json: boolean) {
    this.stack.push(this.root);
  }

  private put(key: string | null, v: Json): void {
    const top = this.stack[this.stack.length - 1]!;
    if (Array.isArray(top)) top.push(v);
    else if (key !== null) top[key] = v;
  }

  /** Text only (PRINT_FP). */
  fp(s: string): void {
    if (!this.json) this.text += s;
  }

  /** JSON only (PRINT_JSON). */
  js(key: string | null, v: Json): void {
    if (this.json) this.put(key, v);
  }

  /** Both (PRINT_ANY): `v` under `key` in JSON, `s` in text. */
  any(key: string | null, v: Json, s: string): void {
    if (this.json) this.put(key, v);
    else this.text += s;
  }

  /** open_json_object(key) */
  obj(key: string | null = null): void {
    if (!this.json) return;
    const o: { [k: string]: Json } = {};
    this.put(key, o);
    this.stack.push(o);
  }

  /** open_json_array(PRINT_JSON, key) with `s` printed in text (PRINT_ANY arrays). */
  arr(key: string | null, s = ''): void {
    if (!this.json) {
      this.text += s;
      return;
    }
    const a: Json[] = [];
    this.put(key, a);
    this.stack.push(a);
  }

  /** close_json_object / close_json_array, with `s` printed in text. */
  end(s = ''): void {
    if (this.json) this.stack.pop();
    else this.text += s;
  }

  /** print_nl() */
  nl(): void {
    this.fp('\n');
  }

  /** What the command printed on stdout. */
  output(): string {
    return this.json ? JSON.stringify(this.root) + '\n' : this.text;
  }
}
