from django.urls import path

from birdsite.batches import views

app_name = "batches"
urlpatterns = [
    path("", views.batch_list, name="list"),
    path("<int:pk>/", views.batch_detail, name="detail"),
    path("<int:pk>/files", views.batch_files, name="files"),
    path("<int:pk>/status.json", views.batch_status, name="status"),
    path("<int:pk>/items.json", views.batch_items, name="items"),
    path("<int:pk>/cancel", views.batch_cancel, name="cancel"),
]
