from django.apps import AppConfig


class BenchConfig(AppConfig):
    """`python manage.py bench ...`: the speed and memory figures of the product, outside the product's apps."""

    name = "bench"
    verbose_name = "性能基准"
