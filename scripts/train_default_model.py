"""Train the small XLM-R masked LM shipped in ``xlmr_np/default_model``.

Every step is seeded and runs on one CPU thread, so the same command gives the same weights:

1. corpus: the gettext catalogs (``*.po``) inside the Django wheel (BSD-3-Clause), read from the
   wheel as a zip file (Django is never installed). Each translated ``msgstr`` (every plural
   form) and each English ``msgid`` is one sentence; fuzzy and obsolete entries are skipped.
   Text is NFC-normalised with whitespace collapsed, then deduplicated; 3% of the unique
   sentences (seeded) are held out for evaluation. English and six languages by default
   (``LANGUAGES``); ``PROVENANCE.md`` with the counts per language is written next to the model.
2. vocabulary: a SentencePiece **unigram** model trained on the training sentences and arranged
   as real XLM-R's (``<unk>``=0, ``<s>``=1, ``</s>``=2 in SentencePiece, no pad piece), saved as
   ``sentencepiece.bpe.model``; transformers' ``XLMRobertaTokenizer`` then gives the fairseq
   layout ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, pieces at SentencePiece id + 1 and
   ``<mask>`` = SentencePiece size + 1.
3. model: ``transformers.XLMRobertaForMaskedLM`` trained from scratch with RoBERTa's dynamic
   masking (15% of the tokens; 80% ``<mask>``, 10% random, 10% unchanged), AdamW with linear
   warm-up and decay, batches of sentences of similar length, no dropout. Sentences longer than
   ``--max-len`` tokens are left out (not truncated).
4. save: ``config.json`` and ``model.safetensors`` in float16, the tokenizer files written by
   ``XLMRobertaTokenizer.save_pretrained``; prints the final training loss and the held-out
   masked-token accuracy (fixed masks) and writes them to ``training_summary.json`` in the
   work directory.

Usage (the command that made the shipped model is in docs/default-model.md)::

    python scripts/train_default_model.py --out xlmr_np/default_model --steps 4500

Needs torch, transformers 4.39.3, sentencepiece, safetensors; pip (for ``pip download``) unless
``--wheel`` names a Django wheel already on disk.
"""

from __future__ import annotations

import argparse
import ast
import collections
import glob
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import unicodedata
import zipfile

DJANGO_VERSION = "5.2.19"
# The languages of the shipped model besides English: six large catalogs in three scripts
# (Latin, Cyrillic, Chinese). A model this small, trained this briefly on one CPU thread, learns
# its sentences only after a few dozen passes over each, so the corpus is kept small: a first
# attempt with 15 languages, 8,000 pieces and 64-token sentences got 7 passes in 22 minutes and
# learned little more than token frequencies.
LANGUAGES = ("de", "es", "fr", "it", "ru", "zh_Hans")
PO_PATTERN = re.compile(r"^django/(?:conf|contrib/[a-z_]+)/locale/([^/]+)/LC_MESSAGES/(django|djangojs)\.po$")
KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")\s*$')


# ---------------------------------------------------------------- 1. corpus from the Django wheel

def get_wheel(work_dir, wheel=None):
    """The Django wheel: ``wheel`` if given, else ``pip download django==DJANGO_VERSION``."""
    if wheel:
        return wheel
    found = glob.glob(os.path.join(work_dir, f"Django-{DJANGO_VERSION}-*.whl")) + glob.glob(
        os.path.join(work_dir, f"django-{DJANGO_VERSION}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", f"django=={DJANGO_VERSION}",
                        "--no-deps", "--only-binary=:all:", "-d", work_dir], check=True)
        found = glob.glob(os.path.join(work_dir, "[Dd]jango-*.whl"))
    return sorted(found)[0]


def parse_po(text):
    """Entries of a gettext catalog as dicts {keyword: string}; fuzzy/obsolete ones are dropped."""
    entries, entry, key, fuzzy = [], {}, None, False

    def flush():
        nonlocal entry, key, fuzzy
        if "msgid" in entry and not fuzzy:
            entries.append(entry)
        entry, key, fuzzy = {}, None, False

    for line in text.splitlines():
        line = line.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):          # comments, references, flags, obsolete "#~" entries
            if line.startswith("#,") and "fuzzy" in line:
                if any(k.startswith("msgstr") for k in entry):
                    flush()
                fuzzy = True
            continue
        match = KEYWORD.match(line)
        if match:
            keyword = match.group(1)
            if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
                flush()                    # a new entry without a blank line before it
            key = keyword
            entry[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key is not None:
            entry[key] += ast.literal_eval(line)
    flush()
    return entries


def normalise(text):
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def extract_corpus(wheel_path, languages=None):
    """{language: [sentences]} in first-seen order, deduplicated across the whole corpus.

    ``languages``: the locale names to read (``None``: all); English, the ``msgid`` /
    ``msgid_plural`` strings of every catalog read, is always included. A sentence that occurs
    in several languages (a name, a placeholder-only string) is kept once, for English or else
    the first language in sorted order. Returns (sentences by language, raw counts by language,
    number of catalogs read).
    """
    by_language = collections.defaultdict(list)
    raw = collections.Counter()
    seen = set()
    catalogs = 0
    with zipfile.ZipFile(wheel_path) as wheel:
        names = sorted(n for n in wheel.namelist() if PO_PATTERN.match(n))
        # English sources first, then every language's translations in sorted order.
        english, translated = [], []
        for name in names:
            language = PO_PATTERN.match(name).group(1)
            if languages is not None and language not in languages:
                continue
            catalogs += 1
            for entry in parse_po(wheel.read(name).decode("utf-8")):
                if not entry["msgid"]:
                    continue               # the header
                english += [entry[k] for k in ("msgid", "msgid_plural") if k in entry]
                if language.startswith("en"):
                    continue               # en/en_AU/en_GB catalogs: mostly copies of msgid
                translated += [(language, v) for k, v in entry.items() if k.startswith("msgstr")]
        for language, text in [("en", t) for t in english] + translated:
            text = normalise(text)
            if not text:
                continue
            raw[language] += 1
            if text not in seen:
                seen.add(text)
                by_language[language].append(text)
    return dict(by_language), raw, catalogs


def split_corpus(by_language, seed, held_out_fraction):
    """(train, held_out): lists of (language, sentence), split at random with ``seed``."""
    rng = random.Random(seed)
    train, held_out = [], []
    for language in sorted(by_language):
        for text in by_language[language]:
            (held_out if rng.random() < held_out_fraction else train).append((language, text))
    return train, held_out


def wheel_metadata(wheel_path):
    """(sha256, name, version, licence expression, licence text) of the wheel."""
    import hashlib

    with open(wheel_path, "rb") as handle:
        sha256 = hashlib.sha256(handle.read()).hexdigest()
    with zipfile.ZipFile(wheel_path) as wheel:
        info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        fields = {}
        for line in wheel.read(info).decode("utf-8").splitlines():
            if not line:
                break
            key, _, value = line.partition(": ")
            fields.setdefault(key, value)
        licence = wheel.read(info.replace("METADATA", "licenses/LICENSE")).decode("utf-8")
    return sha256, fields["Name"], fields["Version"], fields.get("License-Expression", "?"), licence


def write_provenance(path, wheel_path, raw, train, held_out, used, catalogs, args):
    """PROVENANCE.md: the source package, its licence, the files read and the counts per language.

    ``train`` / ``held_out`` are (language, sentence) pairs; ``used`` the set of sentences short
    enough to be used (at most ``args.max_len`` tokens).
    """
    sha256, name, version, licence_id, licence = wheel_metadata(wheel_path)
    languages = sorted(raw, key=lambda lang: (lang != "en", lang))
    per = {lang: collections.Counter() for lang in languages}
    for part, pairs in (("train", train), ("held_out", held_out)):
        for language, text in pairs:
            per[language]["unique"] += 1
            per[language][part] += text in used
    rows = "\n".join(f"| {lang} | {raw[lang]} | {per[lang]['unique']} | {per[lang]['train']} | "
                     f"{per[lang]['held_out']} |" for lang in languages)
    total = {key: sum(per[lang][key] for lang in languages) for key in ("unique", "train", "held_out")}
    translated = ", ".join(lang for lang in languages if lang != "en")
    text = f"""# Provenance of the default model's training data

The model in this folder (weights and SentencePiece vocabulary) was trained by
`scripts/train_default_model.py` on text taken from one package, and on nothing else.

## Source

- Package: **{name} {version}**, the wheel `{os.path.basename(wheel_path)}` as served by PyPI
  (`pip download {name.lower()}=={version} --no-deps`), sha256 `{sha256}`.
  The wheel was read as a zip archive; Django was not installed.
- Licence: **{licence_id}** (the wheel's `METADATA`, `License-Expression`; text in
  `{name.lower()}-{version}.dist-info/licenses/LICENSE`, reproduced below). Each catalog's header says
  "This file is distributed under the same license as the Django package." The translations are
  the work of Django's translation teams (listed in the catalogs' headers and in the wheel's
  `licenses/AUTHORS`).
- Files: {catalogs} gettext catalogs, those of the languages {translated}:
  - `django/conf/locale/<lang>/LC_MESSAGES/django.po`
  - `django/contrib/*/locale/<lang>/LC_MESSAGES/django.po`
  - `django/contrib/*/locale/<lang>/LC_MESSAGES/djangojs.po`

## Extraction

- Every non-empty `msgstr` of an entry that is neither fuzzy nor obsolete (every plural form
  `msgstr[n]`) is a sentence of the catalog's language; every `msgid` / `msgid_plural` of those
  catalogs is an English sentence. The header entry is skipped.
- Normalisation: Unicode NFC, runs of whitespace collapsed to one space, ends stripped; nothing
  else (placeholders such as `%(name)s` and HTML tags are kept as they are).
- Deduplication: exact, over the whole corpus; a sentence found in several languages is counted
  once, for English or else the first language in alphabetical order.
- Split: {args.held_out:.0%} of the unique sentences held out at random (seed {args.seed}); only sentences of
  at most {args.max_len} tokens (with `<s>` and `</s>`) are used for training or evaluation. The
  SentencePiece vocabulary was trained on all training sentences.

## Counts

"Strings read" for English counts each `msgid` once per catalog that has it.

| language | strings read | unique sentences | used for training | held out (used) |
| --- | --- | --- | --- | --- |
{rows}
| all | {sum(raw.values())} | {total['unique']} | {total['train']} | {total['held_out']} |

## Licence of the source text ({licence_id})

```
{licence.strip()}
```
"""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


# ---------------------------------------------------------------- 2. SentencePiece vocabulary

def train_sentencepiece(sentences, out_dir, vocab_size, seed):
    """A unigram model arranged as XLM-R's: unk=0, bos=1, eos=2, no pad piece."""
    import sentencepiece as spm

    spm.set_random_generator_seed(seed)
    os.makedirs(out_dir, exist_ok=True)
    text_file = os.path.join(out_dir, "sp_train.txt")
    with open(text_file, "w", encoding="utf-8") as handle:
        handle.write("\n".join(sentences) + "\n")
    prefix = os.path.join(out_dir, "sentencepiece")
    spm.SentencePieceTrainer.train(
        input=text_file, model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, unk_piece="<unk>", bos_piece="<s>",
        eos_piece="</s>", character_coverage=0.9999, normalization_rule_name="nmt_nfkc",
        num_threads=1, max_sentence_length=4096, shuffle_input_sentence=False,
        minloglevel=2)
    return prefix + ".model"


def make_tokenizer(sp_model_path, out_dir, max_len):
    from transformers import XLMRobertaTokenizer

    tokenizer = XLMRobertaTokenizer(vocab_file=sp_model_path, model_max_length=max_len)
    tokenizer.save_pretrained(out_dir)
    # save_pretrained copies the vocabulary as sentencepiece.bpe.model; reload from the folder.
    return XLMRobertaTokenizer.from_pretrained(out_dir)


# ---------------------------------------------------------------- 3. masked-LM training

def mask_tokens(torch, ids, special, vocab_size, mask_id, generator, probability=0.15):
    """RoBERTa masking: ``probability`` of the non-special tokens; 80/10/10 mask/random/keep."""
    labels = ids.clone()
    chosen = torch.rand(ids.shape, generator=generator) < probability
    chosen &= ~special
    labels[~chosen] = -100
    inputs = ids.clone()
    draw = torch.rand(ids.shape, generator=generator)
    replace = chosen & (draw < 0.8)
    randomise = chosen & (draw >= 0.8) & (draw < 0.9)
    inputs[replace] = mask_id
    random_ids = torch.randint(4, vocab_size - 1, ids.shape, generator=generator)
    inputs[randomise] = random_ids[randomise]
    return inputs, labels


def make_batches(encoded, max_tokens, max_sentences, rng):
    """Sentences of similar length grouped into batches of at most ``max_tokens`` (padded)."""
    order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i]), rng.random()))
    batches, current, longest = [], [], 0
    for index in order:
        length = len(encoded[index])
        if current and (max(longest, length) * (len(current) + 1) > max_tokens
                        or len(current) >= max_sentences):
            batches.append(current)
            current, longest = [], 0
        current.append(index)
        longest = max(longest, length)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def pad(torch, encoded, indices, pad_id):
    longest = max(len(encoded[i]) for i in indices)
    ids = torch.full((len(indices), longest), pad_id, dtype=torch.long)
    for row, index in enumerate(indices):
        ids[row, :len(encoded[index])] = torch.tensor(encoded[index])
    return ids


def masked_lm_loss(torch, model, inputs, labels, attention_mask):
    """Cross-entropy on the masked positions only (the LM head runs on those rows alone)."""
    hidden = model.roberta(input_ids=inputs, attention_mask=attention_mask).last_hidden_state
    where = labels != -100
    logits = model.lm_head(hidden[where])
    loss = torch.nn.functional.cross_entropy(logits, labels[where])
    return loss, logits, labels[where]


def evaluate(torch, model, encoded, special_ids, vocab_size, mask_id, pad_id, seed, draws=5):
    """Masked-token accuracy and loss on ``encoded``, over ``draws`` maskings from a fixed seed."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    correct = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for start in [s for _ in range(draws) for s in range(0, len(encoded), 64)]:
            indices = list(range(start, min(start + 64, len(encoded))))
            ids = pad(torch, encoded, indices, pad_id)
            special = torch.isin(ids, special_ids)
            inputs, labels = mask_tokens(torch, ids, special, vocab_size, mask_id, generator)
            if not (labels != -100).any():
                continue
            loss, logits, targets = masked_lm_loss(torch, model, inputs, labels, (ids != pad_id).long())
            correct += int((logits.argmax(-1) == targets).sum())
            total += int(targets.numel())
            loss_sum += float(loss) * int(targets.numel())
    model.train()
    return correct / max(total, 1), loss_sum / max(total, 1), total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="xlmr_np/default_model", help="where the checkpoint goes")
    parser.add_argument("--work-dir", default="build/default_model_work",
                        help="downloaded wheel, corpus files, SentencePiece training files")
    parser.add_argument("--wheel", help="a Django wheel already on disk (else pip download)")
    parser.add_argument("--languages", default=",".join(LANGUAGES),
                        help="comma-separated Django locale names, or 'all' (English is always in)")
    parser.add_argument("--held-out", type=float, default=0.03, help="fraction of sentences held out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=4500, help="optimizer steps (sets the schedule)")
    parser.add_argument("--time-budget", type=float, default=24.0,
                        help="minutes; training stops early (and says so) once spent")
    parser.add_argument("--vocab-size", type=int, default=5000, help="SentencePiece pieces")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--intermediate", type=int, default=512)
    parser.add_argument("--max-len", type=int, default=32,
                        help="tokens per sentence, <s> and </s> included; longer sentences are left out")
    parser.add_argument("--batch-tokens", type=int, default=1024, help="padded tokens per batch")
    parser.add_argument("--batch-sentences", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="hidden and attention dropout (0: the model is meant to learn its catalogs)")
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.work_dir, exist_ok=True)
    started = time.time()

    wheel = get_wheel(args.work_dir, args.wheel)
    languages = None if args.languages == "all" else set(args.languages.split(","))
    by_language, raw, catalogs = extract_corpus(wheel, languages)
    train_pairs, held_out_pairs = split_corpus(by_language, args.seed, args.held_out)
    train_text = [text for _, text in train_pairs]
    held_out_text = [text for _, text in held_out_pairs]
    counts = {lang: len(v) for lang, v in sorted(by_language.items())}
    print(f"corpus: {os.path.basename(wheel)}, {catalogs} catalogs, {sum(raw.values())} strings, "
          f"{sum(counts.values())} unique sentences in {len(counts)} languages; "
          f"{len(train_text)} train / {len(held_out_text)} held out", flush=True)
    with open(os.path.join(args.work_dir, "corpus_counts.json"), "w", encoding="utf-8") as handle:
        json.dump({"wheel": os.path.basename(wheel), "catalogs": catalogs, "raw": dict(sorted(raw.items())),
                   "unique": counts, "train": len(train_text), "held_out": len(held_out_text)},
                  handle, indent=1)

    sp_path = train_sentencepiece(train_text, args.work_dir, args.vocab_size, args.seed)
    tokenizer = make_tokenizer(sp_path, args.out, args.max_len)
    vocab_size = len(tokenizer)
    mask_id = tokenizer.mask_token_id
    pad_id = tokenizer.pad_token_id
    assert (tokenizer.bos_token_id, pad_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2, 3)
    assert mask_id == args.vocab_size + 1 == vocab_size - 1, (mask_id, vocab_size)

    def encode(texts):
        """Token ids of the sentences that fit in ``max_len`` (longer ones are left out)."""
        return [ids for ids in tokenizer(texts)["input_ids"] if len(ids) <= args.max_len]

    train_ids, held_out_ids = encode(train_text), encode(held_out_text)
    used = {text for text, ids in zip(train_text + held_out_text,
                                      tokenizer(train_text + held_out_text)["input_ids"])
            if len(ids) <= args.max_len}
    write_provenance(os.path.join(args.out, "PROVENANCE.md"), wheel, raw, train_pairs, held_out_pairs,
                     used, catalogs, args)
    print(f"sentences of at most {args.max_len} tokens: {len(train_ids)} train, "
          f"{len(held_out_ids)} held out", flush=True)
    n_tokens = sum(len(x) for x in train_ids)
    token_counts = collections.Counter(t for ids in train_ids for t in ids[1:-1])
    total = sum(token_counts.values())
    unigram = -sum(c / total * math.log(c / total) for c in token_counts.values())
    print(f"vocabulary: {vocab_size} ids; training tokens per epoch: {n_tokens} "
          f"(mean {n_tokens / len(train_ids):.1f} per sentence); unigram entropy {unigram:.2f} nats "
          f"(the loss of a model that ignores context)", flush=True)

    config = XLMRobertaConfig(
        vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
        num_attention_heads=args.heads, intermediate_size=args.intermediate, hidden_act="gelu",
        max_position_embeddings=args.max_len + 2, type_vocab_size=1, layer_norm_eps=1e-5,
        pad_token_id=pad_id, bos_token_id=0, eos_token_id=2, hidden_dropout_prob=args.dropout,
        attention_probs_dropout_prob=args.dropout, initializer_range=0.02,
        position_embedding_type="absolute")
    model = XLMRobertaForMaskedLM(config)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params} parameters ({n_params / 1e6:.2f} M)", flush=True)

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / args.warmup,
                                    max(0.0, (args.steps - step) / max(1, args.steps - args.warmup))))
    special_ids = torch.tensor(tokenizer.all_special_ids)
    generator = torch.Generator().manual_seed(args.seed)
    batch_rng = random.Random(args.seed)

    step, epoch, recent = 0, 0, collections.deque(maxlen=args.log_every)
    train_started = time.time()
    stopped_early = False
    while step < args.steps and not stopped_early:
        epoch += 1
        for indices in make_batches(train_ids, args.batch_tokens, args.batch_sentences, batch_rng):
            ids = pad(torch, train_ids, indices, pad_id)
            inputs, labels = mask_tokens(torch, ids, torch.isin(ids, special_ids), vocab_size, mask_id,
                                         generator)
            if not (labels != -100).any():
                continue
            loss, _, _ = masked_lm_loss(torch, model, inputs, labels, (ids != pad_id).long())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            recent.append(loss.item())
            elapsed = time.time() - train_started
            if step % args.log_every == 0 or step == args.steps:
                print(f"step {step:6d}  epoch {epoch:3d}  loss {sum(recent) / len(recent):.4f}  "
                      f"lr {schedule.get_last_lr()[0]:.2e}  {elapsed / 60:.1f} min", flush=True)
            if step >= args.steps:
                break
            if elapsed > args.time_budget * 60:
                print(f"time budget of {args.time_budget} min spent at step {step} of {args.steps}",
                      flush=True)
                stopped_early = True
                break
    train_minutes = (time.time() - train_started) / 60
    final_loss = sum(recent) / len(recent)

    accuracy, held_loss, n_masked = evaluate(torch, model, held_out_ids, special_ids, vocab_size,
                                             mask_id, pad_id, args.seed + 1)
    train_sample = train_ids[:: max(1, len(train_ids) // len(held_out_ids))][: len(held_out_ids)]
    train_accuracy, _, _ = evaluate(torch, model, train_sample, special_ids, vocab_size, mask_id,
                                    pad_id, args.seed + 1)

    model.eval()
    model.config.torch_dtype = "float16"
    model.half().save_pretrained(args.out, safe_serialization=True)
    summary = {
        "steps": step, "epochs": epoch, "train_minutes": round(train_minutes, 2),
        "total_minutes": round((time.time() - started) / 60, 2), "parameters": n_params,
        "final_train_loss": round(final_loss, 4), "held_out_masked_accuracy": round(accuracy, 4),
        "held_out_loss": round(held_loss, 4), "held_out_masked_tokens": n_masked,
        "train_sample_masked_accuracy": round(train_accuracy, 4), "train_tokens_per_epoch": n_tokens,
        "train_sentences": len(train_ids), "held_out_sentences": len(held_out_ids),
        "args": vars(args),
    }
    with open(os.path.join(args.work_dir, "training_summary.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=1)
    print(f"final training loss (mean of last {len(recent)} steps): {final_loss:.4f}")
    print(f"held-out masked-token accuracy: {accuracy:.4f} ({n_masked} masked tokens, loss {held_loss:.4f}); "
          f"same measure on training sentences: {train_accuracy:.4f}")
    print(f"training time: {train_minutes:.1f} min, {step} steps, {epoch} epochs; saved to {args.out}")


if __name__ == "__main__":
    main()
