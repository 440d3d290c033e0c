"""Optional: a local causal language model turns a slice's tokens and texts into hypotheses.

Off by default and never downloads: the model is read from a local folder only. ``transformers`` is
imported when the model is loaded, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medslice.errors import BadTypeError, BadValueError, MissingFileError

PROMPT_TEMPLATE = (
    "You audit a chest X-ray classifier. It fails on a group of cases.\n"
    "Words that distinguish the group: {tokens}.\n"
    "Example reports from the group:\n"
    "{texts}\n"
    "Give {n_hypotheses} short hypotheses, one per line, for what the failing cases "
    "have in common.\n"
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\(?\d+[.)])\s*")


def build_prompt(
    tokens: Sequence[str],
    texts: Sequence[str],
    n_hypotheses: int,
    template: str = PROMPT_TEMPLATE,
    max_text_chars: int = 400,
) -> str:
    """Fill the prompt template; each example text is cut to ``max_text_chars``, on one line."""
    examples = "\n".join(
        f"- {' '.join(str(text).split())[:max_text_chars]}" for text in texts if str(text).strip()
    )
    return template.format(
        tokens=", ".join(str(token) for token in tokens) or "(none)",
        texts=examples or "- (no text)",
        n_hypotheses=n_hypotheses,
    )


def parse_hypothesis(generated: str) -> str:
    """Keep the first non-empty line of a continuation, without any list marker."""
    for line in generated.splitlines():
        cleaned = _LIST_MARKER.sub("", line).strip()
        if cleaned:
            return cleaned
    return ""


class LLMHypotheses:
    """Generate ``n_hypotheses`` one-line hypotheses about a slice with a local causal LM.

    Hypotheses are generated one at a time: the prompt ends with the list marker ``"1."``, the
    continuation's first line is hypothesis 1, which is appended before asking for ``"2."``, and
    so on. That always yields exactly ``n_hypotheses`` strings (empty if the model writes nothing
    on the line). With ``do_sample=False`` decoding is greedy and deterministic; with sampling,
    ``seed`` fixes it without touching the global torch generator.

    Attributes (after :meth:`load`):
        tokenizer_, model_: the loaded tokenizer and model.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        max_new_tokens: int = 48,
        n_hypotheses: int = 3,
        do_sample: bool = False,
        temperature: float = 0.7,
        seed: int = 0,
        device: str = "cpu",
        prompt_template: str = PROMPT_TEMPLATE,
        max_texts: int = 3,
    ) -> None:
        self.model_path = model_path
        self.max_new_tokens = max_new_tokens
        self.n_hypotheses = n_hypotheses
        self.do_sample = do_sample
        self.temperature = temperature
        self.seed = seed
        self.device = device
        self.prompt_template = prompt_template
        self.max_texts = max_texts

    def load(self) -> LLMHypotheses:
        """Load tokenizer and model from ``model_path`` (local files only); returns self."""
        path = Path(self.model_path)
        if not path.is_dir():
            raise MissingFileError(
                f"LLM folder {str(path)!r} not found. Save a causal LM and its tokenizer "
                "there with save_pretrained(); medslice never downloads models."
            )
        if self.n_hypotheses < 1 or self.max_new_tokens < 1:
            raise BadValueError("n_hypotheses and max_new_tokens must be at least 1.")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer_ = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model_ = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        self.model_.to(self.device).eval()
        return self

    def generate(self, tokens: Sequence[str], texts: Sequence[str] = ()) -> list[str]:
        """Return exactly ``n_hypotheses`` hypotheses about a slice's ``tokens`` and ``texts``."""
        if isinstance(tokens, str):
            raise BadTypeError("tokens must be a sequence of strings, not a single string.")
        if not hasattr(self, "model_"):
            self.load()
        prompt = build_prompt(tokens, list(texts)[: self.max_texts], self.n_hypotheses, self.prompt_template)
        hypotheses: list[str] = []
        for number in range(1, self.n_hypotheses + 1):
            continuation = self._continue(f"{prompt}{number}.")
            hypothesis = parse_hypothesis(continuation)
            hypotheses.append(hypothesis)
            prompt = f"{prompt}{number}. {hypothesis}\n"
        return hypotheses

    def _continue(self, prompt: str) -> str:
        """Greedy or seeded-sampled continuation of ``prompt``, decoded without the prompt."""
        import torch

        tokenizer, model = self.tokenizer_, self.model_
        # Keep the end of an over-long prompt: the list marker the model must continue is there.
        context = getattr(model.config, "max_position_embeddings", None) or getattr(
            model.config, "n_positions", None
        )
        encoded = tokenizer(prompt, return_tensors="pt")
        input_ids, attention_mask = encoded["input_ids"], encoded["attention_mask"]
        if context is not None and input_ids.shape[1] + self.max_new_tokens > context:
            keep = max(1, context - self.max_new_tokens)
            input_ids, attention_mask = input_ids[:, -keep:], attention_mask[:, -keep:]
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        options: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": self.do_sample,
            "pad_token_id": pad_id,
        }
        if self.do_sample:
            options["temperature"] = self.temperature
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(self.seed)
            output = model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention_mask.to(self.device),
                **options,
            )
        return tokenizer.decode(output[0, input_ids.shape[1] :], skip_special_tokens=True)
