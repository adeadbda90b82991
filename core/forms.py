"""The base of every form: each text field's value goes through core.text before anything else sees it, and a
select's blank choice reads 请选择 (Django's is "---------")."""

from django import forms
from django.core.exceptions import ValidationError

from .text import clean_text


def _is_free_text(field: forms.Field) -> bool:
    # A password is compared, never printed: it is left exactly as typed.
    return isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput)


def _plain(field: forms.CharField):
    field_clean = field.clean
    multiline = isinstance(field.widget, forms.Textarea)

    def clean(value):
        value = field_clean(value)
        if isinstance(value, str):
            value = clean_text(value, multiline=multiline)
            if not value and field.required:
                raise ValidationError(field.error_messages["required"], code="required")
        return value

    return clean


DJANGO_BLANK = "---------"
BLANK_LABEL = "请选择"


def _blank_in_chinese(field: forms.Field) -> None:
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DJANGO_BLANK:
            field.empty_label = BLANK_LABEL
    elif isinstance(field, forms.ChoiceField) and any(label == DJANGO_BLANK for _, label in field.choices):
        field.choices = [(value, BLANK_LABEL if label == DJANGO_BLANK else label) for value, label in field.choices]


class PlainTextMixin:
    """Every text field of the form cleans its value with core.text.clean_text right after its own checks (length,
    required), so clean_<field>(), clean() and a ModelForm's instance all see the text as it will be stored, and a
    refused character is an error on its own field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the form's own copies: the class's fields stay as declared
            if _is_free_text(field):
                field.clean = _plain(field)
            _blank_in_chinese(field)


class Form(PlainTextMixin, forms.Form):
    pass


class ModelForm(PlainTextMixin, forms.ModelForm):
    pass


def with_plain_text(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """`form_class` with PlainTextMixin in front, for forms made elsewhere (the admin's, Django's auth forms)."""
    if issubclass(form_class, PlainTextMixin):
        return form_class
    return type(form_class.__name__, (PlainTextMixin, form_class), {"__module__": form_class.__module__})


class DateInput(forms.DateInput):
    """A browser's date picker. Its value must be ISO (YYYY-MM-DD) whatever the locale's format: a prefilled date in
    any other form is silently dropped by the browser (a returned plan's 租期 came back empty)."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format="%Y-%m-%d")
