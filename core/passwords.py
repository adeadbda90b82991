"""Django's four password validators with their messages in Chinese (Django's own zh_Hans catalogue misses the new
length message), and the one rule 等保 adds: letters and digits or symbols together."""

from django.contrib.auth import password_validation as django_validators
from django.core.exceptions import ValidationError


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def get_error_message(self):
        return f"密码太短，至少须 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少 {self.min_length} 个字符。"


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return "密码与您的%(verbose_name)s过于相似。"

    def get_help_text(self):
        return "密码不能与用户名、姓名等个人信息相似。"


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def get_error_message(self):
        return "这个密码太常见，容易被猜中。"

    def get_help_text(self):
        return "不能使用常见密码。"


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def get_error_message(self):
        return "密码不能全是数字（如 20262026）。"

    def get_help_text(self):
        return "密码不能全是数字。"


class LettersAndDigitsValidator:
    """A password mixes letters with digits or symbols (等保 二级/三级: 口令应有复杂度要求)."""

    def validate(self, password, user=None):
        has_letter = any(c.isalpha() for c in password)
        has_other = any(not c.isalpha() for c in password)
        if not (has_letter and has_other):
            raise ValidationError(self.get_error_message(), code="password_too_simple")

    def get_error_message(self):
        return "密码须同时包含字母和数字（或符号）。"

    def get_help_text(self):
        return "密码须同时包含字母和数字（或符号）。"
