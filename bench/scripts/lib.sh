# Helpers the bench scripts source (not run on its own).

# RESP for SET key:<12-digit i> <100 x's>, i = 0 .. N-1: the key names `redis-benchmark -r N` reads.
string_keys_resp() {
  node -e 'const n=+process.argv[1]; const v="x".repeat(100); for (let i=0;i<n;i+=10000){let s=""; for (let j=i;j<Math.min(n,i+10000);j++){const k="key:"+String(j).padStart(12,"0"); s+=`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$100\r\n${v}\r\n`;} process.stdout.write(s);}' "$1"
}
