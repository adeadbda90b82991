"""archive_views"""

urlpatterns = []
