"""The policy texts the rules come from, as users read them cited: by title (the code cites them by seed and section).

- seed 000: 茂县闲置低效资产资源盘活利用工作实施方案（征求意见稿）
- seed 004: 阿坝州“双十行动”第十二场新闻发布会：盘活闲置资产 助力经济发展"""

IMPLEMENTATION_PLAN = "《茂县闲置低效资产资源盘活利用工作实施方案》"  # seed 000


def cited(section: str) -> str:
    """A section of the county's 实施方案 as a message cites it: 《茂县…实施方案》一(三)1."""
    return f"{IMPLEMENTATION_PLAN}{section}"
