# %% [markdown]
# # 01 · Tokenization and the XLM-R id layout
#
# Text becomes ids in two steps: SentencePiece cuts it into pieces and numbers them, then the ids
# are shifted into the layout fairseq used when XLM-R was trained (`<s>`=0, `<pad>`=1, `</s>`=2,
# `<unk>`=3, pieces from 4, `<mask>` last). This tutorial takes the two steps apart.
#
# We use the SentencePiece model of the small default model shipped with the package
# (`xlmr_np/default_model/sentencepiece.bpe.model`, 8000 pieces); the real `xlm-roberta-base`
# file has 250000 pieces and the same layout.

# %%
import pathlib

import numpy as np
import sentencepiece

import xlmr_np
from xlmr_np.tokenization import XLMRobertaTokenizer
from xlmr_np.tokenization import id_layout
from tutorial_support import show_lines, show_source

model_dir = pathlib.Path(xlmr_np.__file__).parent / "default_model"
sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.bpe.model"))
tokenizer = XLMRobertaTokenizer.from_pretrained(model_dir)
print("SentencePiece pieces:", len(sp))
print("tokenizer vocabulary:", len(tokenizer))

# %% [markdown]
# ## Step 1: SentencePiece
#
# SentencePiece normalises the text, marks each word start with `▁` and picks pieces from its
# vocabulary. Its own ids start with three control pieces: `<unk>`=0, `<s>`=1, `</s>`=2.

# %%
for sp_id in range(6):
    print(f"SentencePiece id {sp_id}: {sp.id_to_piece(sp_id)!r}")

text = "Das Passwort ist zu kurz."
pieces = sp.encode(text, out_type=str)
sp_ids = sp.encode(text)
print(pieces)
print(sp_ids)
assert (sp.unk_id(), sp.bos_id(), sp.eos_id()) == (0, 1, 2)

# %% [markdown]
# ## Step 2: the fairseq offset
#
# fairseq numbered four specials itself (`<s>`, `<pad>`, `</s>`, `<unk>` = 0..3) and appended the
# SentencePiece pieces after them, so an ordinary piece's model id is its SentencePiece id
# **plus one**. The embedding matrix of every XLM-R checkpoint is indexed by these model ids.
# This is the table in xlmr_np (`xlmr_np/tokenization/id_layout.py`):

# %%
show_lines(id_layout, "FAIRSEQ_OFFSET = 1")
show_lines(id_layout, "FAIRSEQ_SPECIALS", "FAIRSEQ_SPECIALS")
show_source(id_layout.FairseqIdLayout.model_ids)

# %%
model_ids = tokenizer.convert_tokens_to_ids(pieces)
print("model ids:", model_ids)
assert model_ids == [i + id_layout.FAIRSEQ_OFFSET for i in sp_ids]

# %% [markdown]
# Calling the tokenizer does both steps and wraps the sentence in `<s> ... </s>`:

# %%
encoded = tokenizer(text)
print(encoded["input_ids"])
print(tokenizer.convert_ids_to_tokens(encoded["input_ids"]))
assert encoded["input_ids"] == [tokenizer.cls_token_id, *model_ids, tokenizer.sep_token_id]

# %% [markdown]
# ## The special tokens
#
# The four fairseq specials keep their fixed ids; `<mask>`, which fairseq added last, sits just
# after the last piece. So the vocabulary has SentencePiece's size + 2 entries: the `n` shifted
# pieces, id 0, and `<mask>`.

# %%
for name in ("<s>", "<pad>", "</s>", "<unk>", "<mask>"):
    print(f"{name:7} -> {tokenizer.convert_tokens_to_ids(name)}")
assert [tokenizer.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
assert tokenizer.mask_token_id == len(sp) + 1
assert len(tokenizer) == len(sp) + 2

# %% [markdown]
# ### Unknown characters
#
# A character the vocabulary has never seen becomes SentencePiece's `<unk>` (id 0). Shifting it
# by one would give 1, which is `<pad>`; the layout maps it to fairseq's `<unk>` = 3 instead —
# the one exception to "+ 1".

# %%
text = "🦜 parrot"
print(sp.encode(text, out_type=str), sp.encode(text))
ids = tokenizer(text, add_special_tokens=False)["input_ids"]
print(ids, tokenizer.convert_ids_to_tokens(ids))
assert sp.encode(text)[1] == 0 and ids[1] == tokenizer.unk_token_id == 3

# %% [markdown]
# ### `<mask>` written in the text
#
# Special tokens written in the text are cut out before SentencePiece sees the rest. `<mask>`
# also takes the space before it (`lstrip`), so `"the <mask>."` gives the same ids as a mask in
# place of the word.

# %%
ids = tokenizer("Paris is the <mask> of France.")["input_ids"]
print(tokenizer.convert_ids_to_tokens(ids))
assert ids.count(tokenizer.mask_token_id) == 1

# %% [markdown]
# ## Batches: padding and the attention mask
#
# Sentences of different lengths are padded with `<pad>` = 1 to a rectangle; the attention mask
# is 1 on real tokens and 0 on padding. (Tutorial 02 shows why the pad id matters for position
# ids, and tutorial 10 why a packed batch avoids the padding altogether.)

# %%
batch = tokenizer(["Hello world!", "Bonjour", "Das Passwort ist zu kurz."],
                  padding=True, return_tensors="np")
print(batch["input_ids"])
print(batch["attention_mask"])
assert np.array_equal(batch["attention_mask"], (batch["input_ids"] != tokenizer.pad_token_id))

# %% [markdown]
# A pair of texts (a question and a context, two sentences to compare) is joined the way
# RoBERTa was trained: `<s> A </s></s> B </s>`. XLM-R has a single token type, so there are
# no segment ids to tell the halves apart, only the separators.

# %%
pair = tokenizer("Password too short", "Das Passwort ist zu kurz.")["input_ids"]
print(tokenizer.convert_ids_to_tokens(pair))
first_sep = pair.index(tokenizer.sep_token_id)
assert pair[0] == 0 and pair[first_sep:first_sep + 2] == [2, 2] and pair[-1] == 2

# %% [markdown]
# And back: `decode` maps model ids to pieces, joins them and turns `▁` into spaces.

# %%
print(tokenizer.decode(batch["input_ids"][2], skip_special_tokens=True))
assert tokenizer.decode(batch["input_ids"][2], skip_special_tokens=True) == "Das Passwort ist zu kurz."
