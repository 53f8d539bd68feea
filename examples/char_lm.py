"""Character-level language model: an LSTM learns the poems in data/text/ and writes more.

It is the classic PyTorch example with ``import ember as torch``: an embedding, a stacked LSTM
and a linear decoder, trained with Adam on random windows of the text. It reports the
validation perplexity next to the unigram baseline (predicting each character by its frequency
alone), which a model that learns anything beats quickly.

    python examples/char_lm.py --steps 600          # about a minute on a laptop CPU
    python examples/char_lm.py --device cuda --steps 3000 --hidden 512
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402

DEFAULT_TEXT = Path(__file__).resolve().parent.parent / "data" / "text" / "poems.txt"


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear over a character vocabulary."""

    def __init__(self, vocab: int, emb: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.decoder(self.drop(out)), state


def batches(data: np.ndarray, seq_len: int, batch: int, rng: np.random.Generator):
    """Random (input, target) windows, time-major: (seq_len, batch) each."""
    starts = rng.integers(0, len(data) - seq_len - 1, size=batch)
    idx = starts[None, :] + np.arange(seq_len + 1)[:, None]
    chunk = data[idx]
    return chunk[:-1], chunk[1:]


def unigram_perplexity(train: np.ndarray, val: np.ndarray, vocab: int) -> float:
    """Perplexity on ``val`` of the character frequencies of ``train`` (add-one smoothed)."""
    counts = np.bincount(train, minlength=vocab) + 1.0
    logp = np.log(counts / counts.sum())
    return float(math.exp(-logp[val].mean()))


@torch.no_grad()
def evaluate(model, data: np.ndarray, seq_len: int, device) -> float:
    """Perplexity over consecutive windows of ``data``, carrying the state across them."""
    model.eval()
    n = (len(data) - 1) // seq_len * seq_len
    x = torch.tensor(data[:n].reshape(-1, seq_len).T.copy(), device=device)
    y = torch.tensor(data[1 : n + 1].reshape(-1, seq_len).T.copy(), device=device)
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    model.train()
    return math.exp(loss.item())


@torch.no_grad()
def sample(model, stoi: dict, itos: list, prompt: str, n: int, device, temperature=0.8) -> str:
    """Generate ``n`` characters after ``prompt``."""
    model.eval()
    x = torch.tensor([[stoi.get(c, 0)] for c in prompt], device=device)
    logits, state = model(x)
    out = []
    for _ in range(n):
        probs = F.softmax(logits[-1, 0] / temperature, dim=-1)
        c = int(torch.multinomial(probs, 1).item())
        out.append(itos[c])
        logits, state = model(torch.tensor([[c]], device=device), state)
    model.train()
    return prompt + "".join(out)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DEFAULT_TEXT))
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--emb", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--sample", type=int, default=200, help="characters to generate at the end")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = Path(args.data).read_text(encoding="utf-8")
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    split = int(len(data) * 0.9)
    train, val = data[:split], data[split:]
    vocab = len(itos)
    baseline = unigram_perplexity(train, val, vocab)
    print(f"{len(text)} characters, vocabulary {vocab}; unigram perplexity {baseline:.2f}")

    model = CharLSTM(vocab, args.emb, args.hidden, args.layers, args.dropout).to(args.device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    t0 = time.perf_counter()
    history = []
    for step in range(1, args.steps + 1):
        xb, yb = batches(train, args.seq_len, args.batch_size, rng)
        x = torch.tensor(xb, device=args.device)
        y = torch.tensor(yb, device=args.device)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        if step % args.eval_every == 0 or step == args.steps:
            ppl = evaluate(model, val, args.seq_len, args.device)
            history.append((step, ppl))
            print(
                f"step {step:5d}  train loss {loss.item():.3f}  val perplexity {ppl:.2f}  "
                f"({time.perf_counter() - t0:.1f}s)"
            )
    final = history[-1][1] if history else float("nan")
    print(f"validation perplexity {final:.2f} vs unigram {baseline:.2f}")
    if args.sample:
        print("---\n" + sample(model, stoi, itos, "Once upon a ", args.sample, args.device))
    return {"perplexity": final, "unigram": baseline, "history": history}


if __name__ == "__main__":
    main()
