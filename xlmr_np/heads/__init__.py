"""The task models of the XLM-RoBERTa family: the encoder plus one head each, with their losses."""

from .causal_lm import XLMRobertaForCausalLM
from .masked_lm import XLMRobertaForMaskedLM, XLMRobertaLMHead
from .multiple_choice import XLMRobertaForMultipleChoice
from .outputs import (CausalLMOutputWithCrossAttentions, MaskedLMOutput, MultipleChoiceModelOutput,
                      QuestionAnsweringModelOutput, SequenceClassifierOutput, TokenClassifierOutput)
from .question_answering import XLMRobertaForQuestionAnswering
from .sequence_classification import XLMRobertaClassificationHead, XLMRobertaForSequenceClassification
from .token_classification import XLMRobertaForTokenClassification

__all__ = [
    "XLMRobertaForCausalLM", "XLMRobertaForMaskedLM", "XLMRobertaForMultipleChoice",
    "XLMRobertaForQuestionAnswering", "XLMRobertaForSequenceClassification",
    "XLMRobertaForTokenClassification", "XLMRobertaLMHead", "XLMRobertaClassificationHead",
    "MaskedLMOutput", "CausalLMOutputWithCrossAttentions", "SequenceClassifierOutput",
    "MultipleChoiceModelOutput", "TokenClassifierOutput", "QuestionAnsweringModelOutput",
]
