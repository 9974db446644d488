"""The small XLM-R masked LM shipped in ``xlmr_np/default_model`` (see docs/default-model.md).

It is a real trained checkpoint (not random weights): these tests check that its files are what
transformers expects, that xlmr_np's encoder gives transformers' numbers on it, and that it
fills masks in sentences of its training domain (Django's translation catalogs) correctly.
"""

import json
import os
import warnings

import numpy as np
import pytest
import torch
from safetensors import safe_open
from transformers import XLMRobertaForMaskedLM, XLMRobertaTokenizer, pipeline

import xlmr_np
from reference import assert_close

DEFAULT_MODEL = os.path.join(os.path.dirname(xlmr_np.__file__), "default_model")
FILES = ("config.json", "model.safetensors", "sentencepiece.bpe.model", "tokenizer_config.json",
         "special_tokens_map.json", "PROVENANCE.md")

SENTENCES = [
    "Are you sure?",
    "Êtes-vous sûr de vouloir supprimer les objets sélectionnés ?",
    "Seite nicht gefunden",
    "Введите корректный адрес электронной почты.",
    "请输入一个有效的值。",
]

# Catalog strings from the training data, one word masked, and the word the model puts first
# (with probability 0.80-0.95, far from the runner-up; docs/default-model.md has more examples).
FILL_MASK = [
    ("Log <mask>", "in"),                        # en: "Log in"
    ("Erreur du <mask>", "serveur"),             # fr: "Erreur du serveur"
    ("Neues <mask> eingeben", "Passwort"),       # de: "Neues Passwort eingeben"
    ("Cambiar mi <mask>", "contraseña"),         # es: "Cambiar mi contraseña"
    ("Задать <mask>", "пароль"),                 # ru: "Задать пароль"
]


@pytest.fixture(scope="module")
def tokenizer():
    return XLMRobertaTokenizer.from_pretrained(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def reference():
    return XLMRobertaForMaskedLM.from_pretrained(DEFAULT_MODEL).eval()


def test_files_are_there_and_small():
    sizes = {name: os.path.getsize(os.path.join(DEFAULT_MODEL, name)) for name in FILES}
    total = sum(os.path.getsize(os.path.join(DEFAULT_MODEL, name)) for name in os.listdir(DEFAULT_MODEL))
    assert total <= 20 * 2**20, sizes
    with safe_open(os.path.join(DEFAULT_MODEL, "model.safetensors"), "np") as handle:
        dtypes = {handle.get_slice(key).get_dtype() for key in handle.keys()}
    assert dtypes == {"F16"}


def test_config_is_xlm_roberta(tokenizer):
    with open(os.path.join(DEFAULT_MODEL, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    assert config["model_type"] == "xlm-roberta"
    assert config["architectures"] == ["XLMRobertaForMaskedLM"]
    assert (config["pad_token_id"], config["bos_token_id"], config["eos_token_id"]) == (1, 0, 2)
    assert config["type_vocab_size"] == 1
    assert config["layer_norm_eps"] == 1e-5
    assert config["hidden_act"] == "gelu"
    assert config["max_position_embeddings"] == tokenizer.model_max_length + 2
    assert config["vocab_size"] == len(tokenizer)


def test_tokenizer_has_the_fairseq_layout(tokenizer):
    assert tokenizer.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>"]) == [0, 1, 2, 3]
    assert tokenizer.mask_token_id == tokenizer.sp_model.get_piece_size() + 1 == len(tokenizer) - 1
    # Pieces sit at their SentencePiece id + 1, as in real XLM-R.
    piece = tokenizer.sp_model.piece_to_id("▁and")
    assert piece > 2 and tokenizer.convert_tokens_to_ids("▁and") == piece + 1
    # SentencePiece itself is arranged as XLM-R's: <unk>=0, <s>=1, </s>=2, no pad piece.
    sp = tokenizer.sp_model
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id(), sp.pad_id()) == (0, 1, 2, -1)
    ids = tokenizer("Are you sure?").input_ids
    assert ids[0] == 0 and ids[-1] == 2 and 3 not in ids


def test_transformers_loads_every_tensor():
    _, info = XLMRobertaForMaskedLM.from_pretrained(DEFAULT_MODEL, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    assert info["mismatched_keys"] == [] and info["error_msgs"] == []


def test_xlmr_np_encoder_matches_transformers(tokenizer, reference):
    with pytest.warns(UserWarning) as caught:
        ours = xlmr_np.XLMRobertaModel.from_pretrained(DEFAULT_MODEL)
    messages = " ".join(str(w.message) for w in caught)
    assert "lm_head" in messages and "pooler" in messages
    batch = tokenizer(SENTENCES, padding=True, return_tensors="np")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    assert mask.min() == 0, "the batch should contain padding"
    with torch.no_grad():
        expected = reference.roberta(torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
    actual = ours(input_ids=ids, attention_mask=mask).last_hidden_state
    assert_close(actual, expected, "default model last_hidden_state vs transformers")
    # The trained model is not degenerate: different sentences give different states.
    first = np.asarray(actual)[:, 0]
    assert np.min(np.linalg.norm(first[:, None] - first[None], axis=-1) + np.eye(len(SENTENCES))) > 1e-2


@pytest.mark.parametrize("masked, word", FILL_MASK, ids=[m for m, _ in FILL_MASK])
def test_fill_mask_top_1(tokenizer, reference, masked, word):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill = pipeline("fill-mask", model=reference, tokenizer=tokenizer, framework="pt")
        predictions = fill(masked, top_k=3)
    assert predictions[0]["token_str"] == word, predictions
