# Helpers the bench scripts source (not run on its own).

# RESP for SET key:<12-digit i> <100 x's>, i = 0 .. N-1: the key names `redis-benchmark -r N` reads.
string_keys_resp() {
  node -e 'const n=+process.argv[1]; const v="x".repeat(100); for (let i=0;i<n;i+=10000){let s=""; for (let j=i;j<Math.min(n,i+10000);j++){const k="key:"+String(j).padStart(12,"0"); s+=`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$100\r\n${v}\r\n`;} process.stdout.write(s);}' "$1"
}

# RESP for issue #5's gauge data set: TS.CREATE of S series, then TS.MADD of P points each (500 a command), 10 s
# apart from 1 700 000 000 000, values a random walk in steps of 0.1. Series are named g:<s>, or with PADDED=1
# g:<12-digit s> (the names `redis-benchmark -r S` makes of g:__rand_int__).
gauge_series_resp() {
  node -e '
const [S, P, padded] = process.argv.slice(1).map(Number);
const enc = (a) => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");
const name = (s) => "g:" + (padded ? String(s).padStart(12, "0") : String(s));
for (let s = 0; s < S; s++) process.stdout.write(enc(["TS.CREATE", name(s)]));
for (let s = 0; s < S; s++) {
  let x = 20 + (s % 50);
  for (let i = 0; i < P; i += 500) {
    const a = ["TS.MADD"];
    for (let j = i; j < Math.min(P, i + 500); j++) {
      x = Math.round((x + (Math.random() < 0.5 ? -0.1 : 0.1)) * 10) / 10;
      a.push(name(s), String(1_700_000_000_000 + j * 10_000), String(x));
    }
    process.stdout.write(enc(a));
  }
}' "$1" "$2" "${PADDED:-0}"
}
