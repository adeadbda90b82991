from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`python manage.py seed_demo`: the demo county (茂县), loaded the way its users would, outside the product."""

    name = "demo"
    verbose_name = "演示数据"
